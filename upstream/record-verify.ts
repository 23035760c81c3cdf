import { hash, type KeyObject, verify } from 'node:crypto';
import {
  canonicalJson,
  canonicalRecordText,
  GENESIS_HASH,
  RECORD_FORMAT,
  recordHash,
} from '../terminal/ledger/canonical.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import type { CompactBatch } from '../terminal/sync/protocol.js';

/** The ledger's canonical form (terminal/ledger/canonical.ts) is the one upstream recomputes. */
export { GENESIS_HASH, recordHash };

/** Ed25519 over the 32 hash bytes, as terminal/ledger signs. */
export function verifyRecordSignature(record: LedgerRecord, key: KeyObject): boolean {
  const sig = Buffer.from(record.signature, 'base64');
  if (sig.length !== 64) return false;
  return verify(null, Buffer.from(record.hash, 'hex'), key, sig);
}

/**
 * A parsed payload's canonical text (terminal/ledger/canonical.ts). For parsed JSON,
 * `JSON.stringify` writes exactly the canonical text when every object's keys are already in
 * sorted order (the ledger stores them so, and the drain ships that text as is): checking the
 * order is much cheaper than building the canonical text in JS. Anything else takes the general path.
 */
export function payloadText(payload: unknown): string {
  return keysSorted(payload) ? JSON.stringify(payload) : canonicalJson(payload);
}

/** True when every object in a parsed JSON value has its keys in `Array.prototype.sort` order. */
function keysSorted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(keysSorted);
  let previous: string | undefined;
  for (const key in value) {
    // Integer-like keys are enumerated first by the engine, out of string order: general path.
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysSorted((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** hex SHA-256 of a record's canonical text; one-shot `crypto.hash` skips the Hash object. */
export function hashRecord(record: Omit<LedgerRecord, 'hash' | 'signature'>, payloadJson: string): string {
  return hash('sha256', canonicalRecordText(record, payloadJson), 'hex');
}

/**
 * The records a version 2 batch (protocol.ts `compactBatchSchema`, already validated) stands for,
 * with what the terminal left out derived here: `seq` from `firstSeq`, `storeId`/`terminalId` from
 * the batch, each `hash` computed from the record's canonical text and each `prevHash` chained from
 * the previous record's (the batch's `prevHash` for the first). `payloads` holds the canonical
 * payload texts the hashes cover. Nothing sent is trusted: each record is authentic only if its
 * signature verifies over the hash computed here, and the chain only if the first new record's
 * prevHash is the terminal's last stored hash (both checked at ingest).
 */
export function recordsFromCompact(batch: CompactBatch): { records: LedgerRecord[]; payloads: string[] } {
  const { storeId, terminalId, firstSeq, ids, types, ats, sigs } = batch;
  const records: LedgerRecord[] = new Array(ids.length);
  const payloads: string[] = new Array(ids.length);
  // canonicalRecordText's layout (keys in sorted order), with what is the same for the whole batch
  // written once: this runs for every record upstream ingests. The unit tests check that the
  // hashes come out as the ledger's own.
  const tail = `,"storeId":${JSON.stringify(storeId)},"terminalId":${JSON.stringify(terminalId)},"type":`;
  const end = `,"v":${RECORD_FORMAT}}`;
  let prevHash = batch.prevHash;
  for (let i = 0; i < ids.length; i++) {
    const payload = batch.payloads[i]!;
    const text = payloadText(payload);
    const id = ids[i]!;
    const type = types[i]!;
    const at = ats[i]!;
    const seq = firstSeq + i;
    const hex = hash(
      'sha256',
      `{"at":${JSON.stringify(at)},"id":${JSON.stringify(id)},"payload":${text},"prevHash":"${prevHash}","seq":${seq}${tail}"${type}"${end}`,
      'hex',
    );
    records[i] = {
      id,
      seq,
      type,
      at,
      storeId,
      terminalId,
      payload,
      prevHash,
      hash: hex,
      signature: sigs[i]!,
    };
    payloads[i] = text;
    prevHash = hex;
  }
  return { records, payloads };
}
