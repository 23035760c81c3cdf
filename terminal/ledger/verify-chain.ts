import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { publicKeyFrom } from '../identity/terminal-key.js';
import { GENESIS_HASH, recordHash } from './canonical.js';
import { decodePayload } from './record-decoders.js';
import type { LedgerRecord } from './types.js';

export type ChainProblem =
  | 'seq_gap'
  | 'prev_hash_mismatch'
  | 'hash_mismatch'
  | 'bad_signature'
  | 'terminal_changed'
  | 'payload_invalid';

export type ChainResult =
  | { ok: true; records: number; headSeq: number; headHash?: string }
  | { ok: false; records: number; seq: number; id: string; problem: ChainProblem; message: string };

/** Checks one record's hash and signature (not its place in the chain). */
export function verifyRecord(
  record: LedgerRecord,
  publicKey: string | KeyObject,
): { ok: true } | { ok: false; problem: 'hash_mismatch' | 'bad_signature' } {
  if (recordHash(record) !== record.hash) return { ok: false, problem: 'hash_mismatch' };
  const good = cryptoVerify(
    null,
    Buffer.from(record.hash, 'hex'),
    publicKeyFrom(publicKey),
    Buffer.from(record.signature, 'base64'),
  );
  return good ? { ok: true } : { ok: false, problem: 'bad_signature' };
}

/**
 * Verifies a chain in sequence order: seqs 1, 2, 3… with no gap, each prevHash equal to
 * the previous record's hash (64 zeros first), each hash recomputed from the canonical bytes,
 * each Ed25519 signature valid for `publicKey`, one store and terminal throughout.
 * Stops at the first problem and names it. With `after`, `records` start right after that record.
 * With `payloads`, each (authentic) record's payload must also decode with its type's decoder
 * (record-decoders.ts): `payload_invalid` names the record and the field.
 */
export function verifyChain(
  records: Iterable<LedgerRecord>,
  publicKey: string | KeyObject,
  options: { after?: { seq: number; hash: string }; payloads?: boolean } = {},
): ChainResult {
  const key = publicKeyFrom(publicKey);
  let count = 0;
  // `after`: continue from a record already verified (incremental checks, e.g. upstream ingest).
  let prev: Pick<LedgerRecord, 'seq' | 'hash' | 'storeId' | 'terminalId'> | undefined = options.after
    ? { ...options.after, storeId: '', terminalId: '' }
    : undefined;
  for (const record of records) {
    count++;
    const fail = (problem: ChainProblem, message: string): ChainResult => ({
      ok: false,
      records: count,
      seq: record.seq,
      id: record.id,
      problem,
      message: `record ${record.seq} (${record.id}): ${message}`,
    });
    const expectedSeq = (prev?.seq ?? 0) + 1;
    if (record.seq !== expectedSeq)
      return fail('seq_gap', `expected seq ${expectedSeq}, found ${record.seq}`);
    const expectedPrev = prev?.hash ?? GENESIS_HASH;
    if (record.prevHash !== expectedPrev) {
      return fail(
        'prev_hash_mismatch',
        `prevHash ${record.prevHash} does not match the previous record's hash ${expectedPrev}`,
      );
    }
    if (prev?.storeId && (prev.storeId !== record.storeId || prev.terminalId !== record.terminalId)) {
      return fail(
        'terminal_changed',
        `store/terminal changed from ${prev.storeId}/${prev.terminalId} to ${record.storeId}/${record.terminalId}`,
      );
    }
    const checked = verifyRecord(record, key);
    if (!checked.ok) {
      return fail(
        checked.problem,
        checked.problem === 'hash_mismatch'
          ? 'content does not match its hash (altered)'
          : 'signature does not verify with the terminal key',
      );
    }
    if (options.payloads) {
      const decoded = decodePayload(record.type, record.payload);
      if (!decoded.ok) return fail('payload_invalid', decoded.message);
    }
    prev = record;
  }
  return { ok: true, records: count, headSeq: prev?.seq ?? 0, ...(prev ? { headHash: prev.hash } : {}) };
}
