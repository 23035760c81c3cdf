import { type KeyObject, verify } from 'node:crypto';
import { GENESIS_HASH, recordHash } from '../terminal/ledger/canonical.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';

/** The ledger's canonical form (terminal/ledger/canonical.ts) is the one upstream recomputes. */
export { GENESIS_HASH, recordHash };

/** Ed25519 over the 32 hash bytes, as terminal/ledger signs. */
export function verifyRecordSignature(record: LedgerRecord, key: KeyObject): boolean {
  const sig = Buffer.from(record.signature, 'base64');
  if (sig.length !== 64) return false;
  return verify(null, Buffer.from(record.hash, 'hex'), key, sig);
}
