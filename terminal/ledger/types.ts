import type { SalePayload, WriteOffPayload } from './payloads.js';

// Alert kinds live with the alert payload (payloads.ts) so this file and payloads.ts do not import
// each other; re-exported here, where the record types are.
export {
  ALERT_KINDS,
  type AlertKind,
  RECEIPT_EXCEPTION_REASONS,
  type ReceiptExceptionReason,
  STOCK_OUT_KINDS,
  STOCK_OUT_REASONS,
  STOCKTAKE_BAD_REASONS,
  type StockOutKind,
  type StockOutReason,
  type StocktakeBadReason,
} from './payloads.js';

/**
 * The ledger's contract with the rest of the terminal. Every sale, write-off, return, alert and
 * printed receipt is a record: ULID id, per-terminal gap-free sequence, hash of the previous
 * record, Ed25519 signature by the terminal's key. It is durable (committed with
 * synchronous=FULL, its outbox row in the same transaction) when `append` returns.
 */
export const RECORD_TYPES = [
  'sale',
  'write_off',
  'return',
  'alert',
  'receipt_printed',
  'receipt',
  'stocktake',
  'stock_out',
  'stock_adjustment',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface LedgerRecord<P = Record<string, unknown>> {
  id: string;
  seq: number;
  type: RecordType;
  /** ISO timestamp from the terminal clock. */
  at: string;
  storeId: string;
  terminalId: string;
  payload: P;
  /** hex SHA-256 of the previous record's canonical bytes (64 zeros for the first). */
  prevHash: string;
  /** hex SHA-256 of this record's canonical bytes (everything but hash and signature). */
  hash: string;
  /** base64 Ed25519 signature over `hash`. */
  signature: string;
}

export interface RecordAppender {
  append<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P>;
}

/**
 * What a sale's commit step needs of the ledger: the Ledger itself inside its transaction, or a
 * LedgerPlan (group commit signed off the event loop) that answers the same reads.
 */
export interface SaleWriter extends RecordAppender {
  readonly storeId: string;
  readonly terminalId: string;
  /** The active write-offs among `keys`, by code key. */
  writeOffsOf(keys: readonly string[]): Map<string, ActiveWriteOff>;
  /** Parts of each split pack among `keys` sold here and not returned, by code key (0: none). */
  splitSoldOf(keys: readonly string[]): Map<string, number>;
  saleByExternalRef(externalRef: string): StoredSale | undefined;
}

/** Local write-off state, for verification (already_sold here). */
export interface LocalLedgerView {
  writeOffOf(key: string): { at: string; saleId: string; storeId: string; terminalId: string } | undefined;
  /** The active write-offs among `keys` in one read (a basket), by code key. */
  writeOffsOf?(
    keys: readonly string[],
  ): Map<string, { at: string; saleId: string; storeId: string; terminalId: string }>;
  /** Parts of each split pack among `keys` sold here and not returned (split-parts.ts). */
  splitSoldOf?(keys: readonly string[]): Map<string, number>;
  /**
   * The write-off of `key` made here at `at` that a return has taken back since (returned here);
   * the Verifier asks only when the registry says the code was sold.
   */
  returnedWriteOffOf?(
    key: string,
    at: string,
  ): { at: string; saleId: string; storeId: string; terminalId: string } | undefined;
}

/**
 * Consecutive pending records as JSON columns (the sync record batch, version 2): UTF-8
 * `"ids":[…],"types":[…],"ats":[…],"payloads":[…],"sigs":[…]`, one entry per record in sequence
 * order, ready to sit inside the batch object. `seq`, `storeId`, `terminalId`, `prevHash` and
 * `hash` are left out: the receiver derives them from `firstSeq`, the batch and `prevHash`.
 */
export interface PendingRun {
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** Hash of the record before `firstSeq` (the first record's prevHash). */
  prevHash: string;
  columns: Buffer;
}

/** What sync drains. Rows leave the outbox only when upstream acknowledged their sequence. */
export interface OutboxReader {
  /**
   * Optional fast path: the next run after `afterSeq` (at most `limit` records and `maxBytes`
   * bytes, at least one record, never past a hole) as JSON columns built from the stored text,
   * with no parse and re-serialise per record. The columns must describe what `pending()` returns.
   */
  pendingRun?(afterSeq: number, limit: number, maxBytes: number): PendingRun | undefined;
  /** Unacknowledged records in sequence order, starting after `afterSeq`. */
  pending(afterSeq: number, limit: number): LedgerRecord[];
  /** Marks every record with seq <= `seq` acknowledged (upstream's highest contiguous). */
  acknowledge(seq: number): void;
  stats(): { pending: number; oldestPendingAt?: string; lastAckedSeq: number };
}

/** A write-off of a code here that a return has taken back. */
export interface ReturnedWriteOff {
  at: string;
  saleId: string;
  storeId: string;
  terminalId: string;
  writeOffId: string;
  writeOffSeq: number;
  /** Sequence of the return record that took it back. */
  returnedSeq: number;
}

/** An active (not returned) write-off of a code, with the record that made it. */
export interface ActiveWriteOff {
  at: string;
  saleId: string;
  storeId: string;
  terminalId: string;
  writeOffId: string;
  writeOffSeq: number;
}

export interface StoredSale {
  sale: LedgerRecord<SalePayload>;
  writeOffs: LedgerRecord<WriteOffPayload>[];
}
