import { createHash, type KeyObject, verify } from 'node:crypto';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import { canonicalJson } from '../terminal/sync/protocol.js';

/** Hash of the first record's predecessor (terminal/ledger/types.ts). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * A record's canonical bytes: canonical JSON (sorted keys, no whitespace) of every field but
 * `hash` and `signature`. Must match terminal/ledger's definition (see the README sync section).
 */
export function recordCanonicalBytes(
  record: Omit<LedgerRecord, 'hash' | 'signature'> & Partial<LedgerRecord>,
): Buffer {
  const { hash: _h, signature: _s, ...rest } = record;
  return Buffer.from(canonicalJson(rest));
}

export function recordHash(record: Omit<LedgerRecord, 'hash' | 'signature'>): string {
  return createHash('sha256').update(recordCanonicalBytes(record)).digest('hex');
}

/** Ed25519 over the 32 hash bytes; the hex text of the hash is accepted too. */
export function verifyRecordSignature(record: LedgerRecord, key: KeyObject): boolean {
  const sig = Buffer.from(record.signature, 'base64');
  if (sig.length !== 64) return false;
  return (
    verify(null, Buffer.from(record.hash, 'hex'), key, sig) ||
    verify(null, Buffer.from(record.hash), key, sig)
  );
}
