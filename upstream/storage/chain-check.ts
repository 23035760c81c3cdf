import type { KeyObject } from 'node:crypto';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { hashRecord, payloadText, verifyRecordSignature } from '../record-verify.js';
import type { IngestBatch, IngestProblem, IngestResult } from './ingest-types.js';

/** Where a terminal's stored chain ends. */
export interface ChainTip {
  lastSeq: number;
  lastHash: string;
}

export interface ChainCheck {
  /** The records that extend the chain after the tip, in order (a contiguous run). */
  accepted: LedgerRecord[];
  /** Each accepted record's canonical payload text (hashed once, stored as is). */
  payloads: string[];
  /** Records at or below the tip: resends, to compare with what is stored. */
  duplicates: number;
  problem?: IngestResult['problem'];
}

/**
 * The payload's canonical text (terminal/ledger/canonical.ts), or undefined when `r.hash` is not
 * the hash of the record in canonical form.
 */
function hashedPayloadText(r: LedgerRecord): string | undefined {
  const text = payloadText(r.payload);
  return hashRecord(r, text) === r.hash ? text : undefined;
}

/**
 * Which of a batch's records extend the chain after `tip`: those up to the first problem. The
 * one chain rule of every storage engine (reads and writes nothing). `batch-tip` verifies the
 * signature of the last accepted record only (each hash commits to its predecessor's, so that one
 * signature covers the run) and searches record by record when it fails; `every` verifies all.
 */
export function checkChain(
  batch: IngestBatch,
  tip: ChainTip,
  key: KeyObject,
  signatureCheck: 'batch-tip' | 'every' = 'batch-tip',
): ChainCheck {
  const { storeId, terminalId, records, payloads: derived } = batch;
  let lastSeq = tip.lastSeq;
  let lastHash = tip.lastHash;
  const accepted: LedgerRecord[] = [];
  const payloads: string[] = [];
  let duplicates = 0;
  let problem: IngestResult['problem'];
  const stop = (code: IngestProblem, seq: number, message: string) => {
    problem = { code, seq, message };
  };
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.storeId !== storeId || r.terminalId !== terminalId) {
      stop('wrong_terminal', r.seq, 'record names another terminal than its topic');
      break;
    }
    if (r.seq <= tip.lastSeq) {
      duplicates++;
      continue;
    }
    if (r.seq !== lastSeq + 1) {
      stop('gap', r.seq, `expected seq ${lastSeq + 1}, got ${r.seq}`);
      break;
    }
    const payloadJson = derived ? derived[i] : hashedPayloadText(r);
    if (payloadJson === undefined) {
      stop('bad_hash', r.seq, 'record hash does not match its content');
      break;
    }
    if (r.prevHash !== lastHash) {
      stop('bad_chain', r.seq, 'prevHash does not match the previous record');
      break;
    }
    accepted.push(r);
    payloads.push(payloadJson);
    lastSeq = r.seq;
    lastHash = r.hash;
  }
  const last = accepted.at(-1);
  if (last && (signatureCheck === 'every' || !verifyRecordSignature(last, key))) {
    const bad = accepted.findIndex((r) => !verifyRecordSignature(r, key));
    if (bad >= 0) {
      stop('bad_signature', accepted[bad]!.seq, 'signature does not verify with the enrolled key');
      accepted.length = bad;
      payloads.length = bad;
    }
  }
  return { accepted, payloads, duplicates, ...(problem ? { problem } : {}) };
}

/**
 * Whether a batch would be a gap at its very start: its first record beyond `tipSeq` is not
 * `tipSeq + 1` (every record naming the batch's own terminal; anything else is refused as usual).
 */
export function startsBeyondTip(batch: IngestBatch, tipSeq: number): boolean {
  const { storeId, terminalId, records } = batch;
  if (records.some((r) => r.storeId !== storeId || r.terminalId !== terminalId)) return false;
  const first = records.find((r) => r.seq > tipSeq);
  return first !== undefined && first.seq !== tipSeq + 1;
}

/** The result of a held batch: nothing stored, nothing alerted, the tip as it is. */
export function heldResult(tipSeq: number): IngestResult {
  return { ackSeq: tipSeq, accepted: [], duplicates: 0, unitEvents: 0, held: true };
}

/**
 * The `ledger_recovered` alerts a run of accepted records raises: the first record of a ledger
 * rebuilt by `veriterm ledger recover`, which continues the stored chain.
 */
export function recoveryAlerts(accepted: readonly LedgerRecord[]): { seq: number; message: string }[] {
  const alerts: { seq: number; message: string }[] = [];
  for (const r of accepted) {
    if (r.type !== 'alert' || r.payload.kind !== 'ledger_recovered') continue;
    const base = r.payload.base as { seq?: unknown } | undefined;
    alerts.push({
      seq: r.seq,
      message: `terminal rebuilt its ledger after losing it; continues after seq ${String(base?.seq ?? r.seq - 1)} (${String(r.payload.restoredWriteOffs ?? 0)} write-offs restored)`,
    });
  }
  return alerts;
}

/**
 * Write-offs (in sequence order) that no return of the same terminal took back: what a terminal
 * rebuilding its ledger must refuse to sell again (upstream/ledger-recovery.ts).
 */
export function returnedWriteOffSeqs(returnPayloads: readonly string[]): Set<number> {
  const returned = new Set<number>();
  for (const payload of returnPayloads) {
    const lines = (JSON.parse(payload) as { lines?: { writeOffSeq?: unknown }[] }).lines ?? [];
    for (const line of lines) if (typeof line.writeOffSeq === 'number') returned.add(line.writeOffSeq);
  }
  return returned;
}
