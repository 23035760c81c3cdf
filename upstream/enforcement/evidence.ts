import { createHash, type KeyObject, verify } from 'node:crypto';
import { recordHash } from '../../terminal/ledger/canonical.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { parseEd25519PublicKey } from '../../terminal/sync/command-signing.js';

/**
 * The evidence of an enforcement alert: the signed ledger records the alert rests on, each with
 * the public key enrolled for its terminal, and what checking it must show. Everything needed to
 * check it is inside (no upstream database): `verifyEvidence` below, or by hand (docs/enforcement.md).
 */
export const EVIDENCE_FORMAT = 'veriterm-evidence/1';

export const HOW_TO_VERIFY =
  'veriterm upstream evidence verify FILE. By hand, for each record: hash = hex SHA-256 of the UTF-8 ' +
  'canonical JSON (RFC 8785: keys sorted, no whitespace) of {v:1,id,seq,type,at,storeId,terminalId,' +
  'prevHash,payload}; signature = base64 Ed25519 (RFC 8032) over the 32 hash bytes, verified with ' +
  'publicKey (SPKI PEM); keyId = first 16 hex of SHA-256 of the raw 32-byte key. A record listed ' +
  'with a chain is covered by the signature of the chain tip: each chain record names the previous ' +
  "one's hash as its prevHash.";

/**
 * What checking a record must show: `authentic` (hash matches content, signature verifies, directly
 * or through its chain), `bad_signature` (hash matches, signature does not verify with the key),
 * `bad_hash` (the hash is not the hash of the content).
 */
export type RecordExpectation = 'authentic' | 'bad_signature' | 'bad_hash';

export interface EvidenceRecord {
  /** Its part in the case: `sale`, `earlier_sale`, `stored`, `received`, `report`. */
  role: string;
  expect: RecordExpectation;
  /** Whether upstream stored it in the terminal's chain (false: refused at ingest). */
  stored: boolean;
  record: LedgerRecord;
  /** SPKI PEM of the key enrolled for the record's terminal when the alert was raised. */
  publicKey: string;
  /** The terminal's key id: first 16 hex of SHA-256 of the raw 32-byte key (terminal-key.ts). */
  keyId: string;
  /**
   * Only when the record's own signature does not verify but upstream stored it (batch-tip ingest
   * verifies the last record of a run; the hash chain covers the others): the records after it, in
   * order, up to one whose signature verifies.
   */
  chain?: LedgerRecord[];
}

export interface Evidence {
  format: typeof EVIDENCE_FORMAT;
  /** The alert kind the evidence supports (claim checks below depend on it). */
  kind: string;
  records: EvidenceRecord[];
  howToVerify: string;
}

/** The key id of an Ed25519 public key, as the terminal computes it. */
export function keyIdOf(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return createHash('sha256')
    .update(der.subarray(der.length - 32))
    .digest('hex')
    .slice(0, 16);
}

/** Whether `record.hash` is the hash of its content (false for anything not canonical JSON data). */
export function hashMatches(record: LedgerRecord): boolean {
  try {
    const { hash: _hash, signature: _signature, ...body } = record;
    return recordHash(body) === record.hash;
  } catch {
    return false;
  }
}

/** Ed25519 over the 32 hash bytes, as terminal/ledger signs; false for malformed input. */
export function signatureVerifies(record: LedgerRecord, key: KeyObject): boolean {
  if (typeof record.signature !== 'string' || typeof record.hash !== 'string') return false;
  const sig = Buffer.from(record.signature, 'base64');
  const digest = Buffer.from(record.hash, 'hex');
  if (sig.length !== 64 || digest.length !== 32) return false;
  try {
    return verify(null, digest, key, sig);
  } catch {
    return false;
  }
}

/** What checking one record showed. */
export interface RecordCheck {
  role: string;
  storeId: string;
  terminalId: string;
  seq: number;
  hash: string;
  expected: RecordExpectation;
  found: RecordExpectation | 'bad_key' | 'bad_chain';
  ok: boolean;
}

export interface EvidenceVerdict {
  ok: boolean;
  records: RecordCheck[];
  /** Every reason the evidence does not hold, in words (empty when ok). */
  problems: string[];
}

const where = (r: { storeId: string; terminalId: string; seq: number }) =>
  `${r.storeId}/${r.terminalId} seq ${r.seq}`;

function checkRecord(item: EvidenceRecord): RecordCheck {
  const r = item.record;
  const base = {
    role: String(item.role),
    storeId: String(r?.storeId),
    terminalId: String(r?.terminalId),
    seq: Number(r?.seq),
    hash: String(r?.hash),
    expected: item.expect,
  };
  let key: KeyObject;
  try {
    key = parseEd25519PublicKey(String(item.publicKey));
    if (keyIdOf(key) !== item.keyId) return { ...base, found: 'bad_key', ok: false };
  } catch {
    return { ...base, found: 'bad_key', ok: false };
  }
  let found: RecordCheck['found'];
  if (!hashMatches(r)) found = 'bad_hash';
  else if (signatureVerifies(r, key)) found = 'authentic';
  else if (item.chain && item.chain.length > 0)
    found = chainHolds(r, item.chain, key) ? 'authentic' : 'bad_chain';
  else found = 'bad_signature';
  return { ...base, found, ok: found === item.expect };
}

/** Each chain record extends the previous by one (seq, prevHash), hashes its content, and the last is signed. */
function chainHolds(first: LedgerRecord, chain: readonly LedgerRecord[], key: KeyObject): boolean {
  let previous = first;
  for (const next of chain) {
    const linked =
      next.storeId === first.storeId &&
      next.terminalId === first.terminalId &&
      next.seq === previous.seq + 1 &&
      next.prevHash === previous.hash &&
      hashMatches(next);
    if (!linked) return false;
    previous = next;
  }
  return signatureVerifies(previous, key);
}

/** The code a record names: a write-off's or alert's `codeKey`. */
function codeOf(record: LedgerRecord): string | undefined {
  const code = (record.payload as { codeKey?: unknown } | undefined)?.codeKey;
  return typeof code === 'string' ? code : undefined;
}

/** What the evidence must show beyond each record's own check, by alert kind. */
function claimProblems(evidence: Evidence): string[] {
  const records = evidence.records.map((e) => e.record);
  const byRole = (role: string) => evidence.records.find((e) => e.role === role)?.record;
  switch (evidence.kind) {
    case 'clone': {
      const sale = byRole('sale');
      const earlier = byRole('earlier_sale');
      if (!sale || !earlier) return ['a clone needs the sale and the earlier sale'];
      const out: string[] = [];
      if (sale.type !== 'write_off' || earlier.type !== 'write_off')
        out.push('both records of a clone must be write-offs');
      if (codeOf(sale) === undefined || codeOf(sale) !== codeOf(earlier))
        out.push('the two write-offs name different codes');
      if (
        sale.storeId === earlier.storeId &&
        sale.terminalId === earlier.terminalId &&
        sale.seq === earlier.seq
      )
        out.push('the two write-offs are one record');
      return out;
    }
    case 'conflict': {
      const [a, b] = records;
      if (!a || !b || a.storeId !== b.storeId || a.terminalId !== b.terminalId || a.seq !== b.seq)
        return ['a fork needs two records of one terminal at one seq'];
      return a.hash === b.hash ? ['the two records of a fork have the same hash'] : [];
    }
    case 'bad_chain': {
      const stored = byRole('stored');
      const received = byRole('received');
      if (!stored || !received) return ['a broken chain needs the stored record and the received one'];
      if (received.seq !== stored.seq + 1) return ['the received record does not follow the stored one'];
      return received.prevHash === stored.hash ? ['the received record does link to the stored one'] : [];
    }
    case 'gap': {
      const stored = byRole('stored');
      const received = byRole('received');
      if (!received) return ['a gap needs the received record'];
      return received.seq > (stored?.seq ?? 0) + 1 ? [] : ['the received record does not skip a seq'];
    }
    default: {
      // A terminal's own alert record (suspicious_report, diversion, clone attempt, …): its kind.
      const report = byRole('report');
      if (
        report &&
        (report.type !== 'alert' || (report.payload as { kind?: unknown }).kind !== evidence.kind)
      )
        return [`the reporting record is not an alert of kind ${evidence.kind}`];
      return [];
    }
  }
}

/**
 * Checks evidence offline: every record's hash against its content and its signature against the
 * listed key (directly or through its chain), each as the evidence expects, and the alert kind's
 * claim (a clone's two write-offs name one code, a fork's two records share a seq, …).
 */
export function verifyEvidence(evidence: Evidence): EvidenceVerdict {
  if (
    evidence?.format !== EVIDENCE_FORMAT ||
    !Array.isArray(evidence.records) ||
    evidence.records.length === 0
  )
    return {
      ok: false,
      records: [],
      problems: [`expected ${EVIDENCE_FORMAT} evidence with at least one record`],
    };
  try {
    const checks = evidence.records.map(checkRecord);
    const problems = checks
      .filter((c) => !c.ok)
      .map((c) => `${c.role} record ${where(c)}: expected ${c.expected}, found ${c.found}`);
    problems.push(...claimProblems(evidence));
    return { ok: problems.length === 0, records: checks, problems };
  } catch (e) {
    // A file edited into another shape (a record that is not an object, …) proves nothing.
    return { ok: false, records: [], problems: [`malformed evidence: ${(e as Error).message}`] };
  }
}
