/**
 * The ledger module's public surface. See docs/checkout-and-ledger.md for the canonical form and rules.
 */
export { canonicalJson, canonicalRecordBytes, GENESIS_HASH, RECORD_FORMAT, recordHash } from './canonical.js';
export { CSV_COLUMNS, dayBounds, isExportDay, ledgerDayCsv, recordCsvLine } from './export.js';
export { Ledger, type LedgerOptions } from './ledger.js';
export { LedgerReads, type RecordRow, rowToRecord } from './ledger-reads.js';
export { LEDGER_DB_FILE, ledgerPaths } from './paths.js';
export type * from './payloads.js';
export {
  type DecodedPayload,
  type DecodeFailure,
  decodePayload,
  payloadOf,
  RECORD_DECODERS,
  type RecordDecoder,
  type RecordRefs,
  type UnitStateChange,
} from './record-decoders.js';
export { LEDGER_MIGRATIONS, migrateLedger } from './schema.js';
export type * from './types.js';
export { type ChainProblem, type ChainResult, verifyChain, verifyRecord } from './verify-chain.js';
