import type { KeyObject } from 'node:crypto';
import { decodePayload } from '../../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { parseEd25519PublicKey } from '../../terminal/sync/command-signing.js';
import {
  EVIDENCE_FORMAT,
  type Evidence,
  type EvidenceRecord,
  HOW_TO_VERIFY,
  hashMatches,
  keyIdOf,
  signatureVerifies,
} from './evidence.js';
import { productOfKey, TERMINAL_FEED_KINDS } from './feed-alert.js';

/** A batch as ingest-store.ts took it (structural: this module does not import the store). */
export interface IngestedBatch {
  storeId: string;
  terminalId: string;
  records: readonly LedgerRecord[];
}

/** What ingest made of a batch (ingest-store.ts `IngestResult`). */
export interface IngestOutcome {
  ackSeq: number;
  accepted: readonly LedgerRecord[];
  duplicates: number;
  problem?: { code: string; seq: number; message: string };
}

/** A unit's latest write-off upstream holds, and whether a return took it back. */
export interface UnitSale {
  store_id: string;
  terminal_id: string;
  seq: number;
  at: string;
  returned: number;
}

/** One feed row as stored (enf_alerts), evidence as JSON text. */
export interface FeedInsert {
  detectedAt: string;
  at: string;
  kind: string;
  source: 'upstream' | 'terminal';
  storeId: string;
  terminalId: string;
  seq: number;
  otherStoreId: string | null;
  otherTerminalId: string | null;
  code: string;
  product: string;
  message: string;
  evidence: string;
}

/**
 * What the recorder reads and writes, one per engine and synchronous: the SQLite engine answers
 * from its open transaction (sqlite-enforcement.ts), the PostgreSQL engine from what it fetched for
 * this transaction, re-running the recorder after fetching what a run missed
 * (storage/postgres/pg-enforcement.ts). So both engines apply the very same rules.
 */
export interface EnforcementPort {
  /** The key enrolled for a terminal (SPKI PEM or raw base64), undefined when none. */
  publicKeyOf(storeId: string, terminalId: string): string | undefined;
  unitSale(key: string): UnitSale | undefined;
  setUnitSale(
    key: string,
    storeId: string,
    terminalId: string,
    seq: number,
    recordId: string,
    at: string,
  ): void;
  /** Marks the unit's latest write-off returned when it is the one `recordId` names. */
  markReturned(key: string, recordId: string | undefined): void;
  /** Seqs in [low, high] of a terminal for which ingest raised a `conflict` alert. */
  conflictSeqs(storeId: string, terminalId: string, low: number, high: number): number[];
  /** The stored record at `seq` of a terminal (with its prevHash), or undefined. */
  storedRecord(storeId: string, terminalId: string, seq: number): LedgerRecord | undefined;
  /** Raises an upstream alert (up_alerts) beside the feed's own row. */
  raise(storeId: string, terminalId: string, kind: string, seq: number | null, message: string): void;
  /** Inserts a feed row unless one exists for (store, terminal, kind, seq, code). */
  insert(row: FeedInsert): void;
}

export interface EnforcementDeps {
  /** The port `afterIngest` uses unless given one (the SQLite engine's one port). */
  port?: EnforcementPort;
  now?: () => Date;
}

/** Problems whose refused record is evidence (unknown and wrong terminals have no key to check it with). */
const PROBLEM_KINDS = new Set(['gap', 'bad_chain', 'bad_hash', 'bad_signature', 'revoked_terminal']);
const TERMINAL_KINDS = new Set<string>(TERMINAL_FEED_KINDS);
/** How far after a stored record whose own signature fails to look for a signed one (a batch's size). */
const MAX_CHAIN = 10_000;

interface FeedRow {
  at: string;
  kind: string;
  source: 'upstream' | 'terminal';
  storeId: string;
  terminalId: string;
  seq: number;
  other?: { storeId: string; terminalId: string };
  code?: string;
  message: string;
  evidence: EvidenceRecord[];
}

/**
 * The enforcement feed's side of ingest, run inside each ingest transaction after the batches are
 * stored: a write-off of a unit whose latest write-off elsewhere still stands is a clone (alerted
 * upstream, both signed records as evidence); terminals' own counterfeit alerts, and the records
 * behind forks, gaps, broken links and bad signatures, go into the feed with their evidence.
 */
export class EnforcementRecorder {
  private readonly keys = new Map<string, { pem: string; key: KeyObject; keyId: string }>();
  private readonly defaultPort: EnforcementPort | undefined;
  /** The port of the call under way. */
  private port!: EnforcementPort;
  private readonly now: () => Date;

  constructor(deps: EnforcementDeps = {}) {
    this.defaultPort = deps.port;
    this.now = deps.now ?? (() => new Date());
  }

  /** Call inside the ingest transaction, after `batches` were ingested with `outcomes` (same order). */
  afterIngest(
    batches: readonly IngestedBatch[],
    outcomes: readonly IngestOutcome[],
    port: EnforcementPort | undefined = this.defaultPort,
  ): void {
    if (!port) throw new Error('EnforcementRecorder.afterIngest: no port');
    this.port = port;
    batches.forEach((batch, i) => {
      const outcome = outcomes[i];
      if (!outcome) return;
      for (const record of outcome.accepted) this.onAccepted(batch, record, outcome.accepted);
      if (outcome.problem && PROBLEM_KINDS.has(outcome.problem.code)) this.onProblem(batch, outcome);
      if (outcome.duplicates > 0) this.onResends(batch, outcome);
    });
  }

  /** `run`: the accepted run `record` is part of (where a chain to a signed record is looked up first). */
  private onAccepted(batch: IngestedBatch, record: LedgerRecord, run: readonly LedgerRecord[]): void {
    if (record.type !== 'write_off' && record.type !== 'return' && record.type !== 'alert') return;
    const decoded = decodePayload(record.type, record.payload);
    if (!decoded.ok) return;
    if (decoded.type === 'write_off') {
      const key = decoded.payload.codeKey;
      const earlier = this.port.unitSale(key);
      if (earlier && earlier.returned === 0) this.clone(batch, record, run, key, earlier);
      this.port.setUnitSale(key, batch.storeId, batch.terminalId, record.seq, record.id, record.at);
    } else if (decoded.type === 'return') {
      for (const line of decoded.payload.lines) this.port.markReturned(line.codeKey, line.writeOffId);
    } else if (decoded.type === 'alert' && TERMINAL_KINDS.has(decoded.payload.kind)) {
      const p = decoded.payload;
      const report = this.evidenceRecord('report', record, true, run);
      if (!report) return;
      this.insert({
        at: record.at,
        kind: p.kind,
        source: 'terminal',
        storeId: batch.storeId,
        terminalId: batch.terminalId,
        seq: record.seq,
        ...(p.previous?.storeId
          ? {
              other: {
                storeId: p.previous.storeId,
                terminalId: p.previous.terminalId ?? '',
              },
            }
          : {}),
        ...(p.codeKey ? { code: p.codeKey } : {}),
        message: `${p.kind} reported by ${batch.storeId}/${batch.terminalId}${p.reason ? ` (${p.reason})` : ''}${p.note ? `: ${p.note}` : ''}`,
        evidence: [report],
      });
    }
  }

  private clone(
    batch: IngestedBatch,
    record: LedgerRecord,
    run: readonly LedgerRecord[],
    key: string,
    earlier: { store_id: string; terminal_id: string; seq: number; at: string },
  ): void {
    const message =
      `unit ${key} written off at ${batch.storeId}/${batch.terminalId} (seq ${record.seq}, ${record.at}) ` +
      `was already written off at ${earlier.store_id}/${earlier.terminal_id} (seq ${earlier.seq}, ${earlier.at}) and not returned`;
    this.port.raise(batch.storeId, batch.terminalId, 'clone', record.seq, message);
    const earlierRecord = this.port.storedRecord(earlier.store_id, earlier.terminal_id, earlier.seq);
    const sale = this.evidenceRecord('sale', record, true, run);
    const first = earlierRecord && this.evidenceRecord('earlier_sale', earlierRecord, true);
    if (!sale || !first) return;
    this.insert({
      at: record.at,
      kind: 'clone',
      source: 'upstream',
      storeId: batch.storeId,
      terminalId: batch.terminalId,
      seq: record.seq,
      other: { storeId: earlier.store_id, terminalId: earlier.terminal_id },
      code: key,
      message,
      evidence: [sale, first],
    });
  }

  private onProblem(batch: IngestedBatch, outcome: IngestOutcome): void {
    const problem = outcome.problem!;
    const received = batch.records.find((r) => r.seq === problem.seq) ?? batch.records[0];
    if (!received) return;
    const evidence: EvidenceRecord[] = [];
    // A gap or a broken link is about the record upstream holds last: it goes in first.
    if ((problem.code === 'gap' || problem.code === 'bad_chain') && outcome.ackSeq > 0) {
      const tip = this.port.storedRecord(batch.storeId, batch.terminalId, outcome.ackSeq);
      const stored = tip && this.evidenceRecord('stored', tip, true);
      if (stored) evidence.push(stored);
    }
    const refused = this.evidenceRecord('received', received, false);
    if (!refused) return;
    evidence.push(refused);
    const code = (received.payload as { codeKey?: unknown }).codeKey;
    this.insert({
      at: received.at,
      kind: problem.code,
      source: 'upstream',
      storeId: batch.storeId,
      terminalId: batch.terminalId,
      seq: received.seq,
      ...(typeof code === 'string' ? { code } : {}),
      message: `record refused at ingest (${problem.code}): ${problem.message}`,
      evidence,
    });
  }

  /** A resent record that differs from the stored one (ingest raised `conflict`): both are evidence. */
  private onResends(batch: IngestedBatch, outcome: IngestOutcome): void {
    const tipBefore = outcome.accepted[0] ? outcome.accepted[0].seq - 1 : outcome.ackSeq;
    const resent = batch.records.filter((r) => r.seq <= tipBefore);
    if (resent.length === 0) return;
    const low = Math.min(...resent.map((r) => r.seq));
    const forked = this.port.conflictSeqs(batch.storeId, batch.terminalId, low, tipBefore);
    for (const seq of forked) {
      const theirs = resent.find((r) => r.seq === seq);
      const ours = this.port.storedRecord(batch.storeId, batch.terminalId, seq);
      if (!theirs || !ours || ours.hash === theirs.hash) continue;
      const stored = this.evidenceRecord('stored', ours, true);
      const received = this.evidenceRecord('received', theirs, false);
      if (!stored || !received) continue;
      this.insert({
        at: theirs.at,
        kind: 'conflict',
        source: 'upstream',
        storeId: batch.storeId,
        terminalId: batch.terminalId,
        seq,
        message: `a resent record at seq ${seq} differs from the stored one (a forked chain)`,
        evidence: [stored, received],
      });
    }
  }

  private keyOf(storeId: string, terminalId: string) {
    const enrolled = this.port.publicKeyOf(storeId, terminalId);
    if (enrolled === undefined) return undefined;
    const id = `${storeId}/${terminalId}`;
    let entry = this.keys.get(id);
    if (!entry || entry.pem !== enrolled) {
      const key = parseEd25519PublicKey(enrolled);
      entry = { pem: enrolled, key, keyId: keyIdOf(key) };
      this.keys.set(id, entry);
    }
    return entry;
  }

  /**
   * A record as evidence, with what checking it shows. A stored record whose own signature fails
   * (batch-tip ingest verified a later one) carries the records after it up to a signed one: from
   * `run` (its accepted run, still in memory) or, failing that, from storage.
   */
  private evidenceRecord(
    role: string,
    record: LedgerRecord,
    stored: boolean,
    run: readonly LedgerRecord[] = [],
  ): EvidenceRecord | undefined {
    const entry = this.keyOf(record.storeId, record.terminalId);
    if (!entry) return undefined;
    const base = {
      role,
      stored,
      record,
      publicKey: entry.key.export({ format: 'pem', type: 'spki' }).toString(),
      keyId: entry.keyId,
    };
    if (!hashMatches(record)) return { ...base, expect: 'bad_hash' };
    if (signatureVerifies(record, entry.key)) return { ...base, expect: 'authentic' };
    if (!stored) return { ...base, expect: 'bad_signature' };
    const chain: LedgerRecord[] = [];
    for (let seq = record.seq + 1; chain.length < MAX_CHAIN; seq++) {
      const next =
        run.find((r) => r.seq === seq) ?? this.port.storedRecord(record.storeId, record.terminalId, seq);
      if (!next) break;
      chain.push(next);
      if (signatureVerifies(next, entry.key)) return { ...base, expect: 'authentic', chain };
    }
    return { ...base, expect: 'bad_signature' };
  }

  private insert(row: FeedRow): void {
    const evidence: Evidence = {
      format: EVIDENCE_FORMAT,
      kind: row.kind,
      records: row.evidence,
      howToVerify: HOW_TO_VERIFY,
    };
    this.port.insert({
      detectedAt: this.now().toISOString(),
      at: row.at,
      kind: row.kind,
      source: row.source,
      storeId: row.storeId,
      terminalId: row.terminalId,
      seq: row.seq,
      otherStoreId: row.other?.storeId ?? null,
      otherTerminalId: row.other?.terminalId ?? null,
      code: row.code ?? '',
      product: row.code ? productOfKey(row.code) : '',
      message: row.message,
      evidence: JSON.stringify(evidence),
    });
  }
}
