import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import { decodePayload } from '../../../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { parseEd25519PublicKey } from '../../../terminal/sync/command-signing.js';
import { checkChain, heldResult, recoveryAlerts, startsBeyondTip } from '../chain-check.js';
import { type IngestBatch, type IngestResult, UNDECODABLE_RECORD } from '../ingest-types.js';

interface Tip {
  num: number;
  publicKey: string;
  lastSeq: number;
  lastHash: string;
  revokedAt: string | null;
}

type AlertRow = [storeId: string, terminalId: string, kind: string, seq: number | null, message: string];

/** Parsed enrolled keys by PEM (a re-keyed terminal has another PEM, so no stale entry is used). */
export class KeyCache {
  private readonly keys = new Map<string, KeyObject>();
  get(pem: string): KeyObject {
    let key = this.keys.get(pem);
    if (!key) {
      key = parseEd25519PublicKey(pem);
      if (this.keys.size > 100_000) this.keys.clear();
      this.keys.set(pem, key);
    }
    return key;
  }
}

/**
 * Ingests `batches` inside the caller's transaction on `client` with exactly the SQLite engine's
 * rule (storage/chain-check.ts), then writes everything in a few array statements.
 *
 * Every terminal the call touches has its tip row locked first (`SELECT … FOR UPDATE`, in one
 * sorted order, so two workers holding batches of the same terminals cannot deadlock): a worker
 * that meets a tip another worker holds waits for that commit, then checks against the new tip.
 * Records an earlier batch of this call accepted count as stored for later batches of this call.
 */
export async function ingestInTransaction(
  client: pg.PoolClient,
  batches: readonly IngestBatch[],
  keys: KeyCache,
  signatureCheck: 'batch-tip' | 'every',
): Promise<IngestResult[]> {
  const tips = await lockTips(client, batches);
  const alerts: AlertRow[] = [];
  /** Raised after every batch's own alerts, as the SQLite engine does (ledger-recovery.ts). */
  const recovered: AlertRow[] = [];
  const rows: { terminal: number; record: LedgerRecord; payload: string }[] = [];
  const events: {
    batch: number;
    key: string;
    status: string;
    storeId: string;
    terminalId: string;
    at: string;
    recordId: string;
  }[] = [];
  /** Hashes accepted by this call, by terminal number and seq (not yet in up_records). */
  const pending = new Map<number, Map<number, string>>();
  const results: IngestResult[] = [];
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    const { storeId, terminalId, records } = batch;
    const tip = tips.get(`${storeId}\u0000${terminalId}`);
    if (!tip) {
      alerts.push([
        storeId,
        terminalId,
        'unknown_terminal',
        null,
        'records from a terminal that is not enrolled',
      ]);
      results.push({
        ackSeq: 0,
        accepted: [],
        duplicates: 0,
        unitEvents: 0,
        problem: { code: 'unknown_terminal', seq: 0, message: 'not enrolled' },
      });
      continue;
    }
    if (tip.revokedAt !== null) {
      // Keyed by the batch's first seq: a terminal resending the same batch raises one alert.
      const seq = records[0]?.seq ?? null;
      alerts.push([
        storeId,
        terminalId,
        'revoked_terminal',
        seq,
        `records from a terminal revoked at ${tip.revokedAt}`,
      ]);
      results.push({
        ackSeq: tip.lastSeq,
        accepted: [],
        duplicates: 0,
        unitEvents: 0,
        problem: { code: 'revoked_terminal', seq: seq ?? 0, message: `revoked at ${tip.revokedAt}` },
      });
      continue;
    }
    if (batch.holdIfEarly && startsBeyondTip(batch, tip.lastSeq)) {
      results.push(heldResult(tip.lastSeq));
      continue;
    }
    const { accepted, payloads, duplicates, problem } = checkChain(
      batch,
      tip,
      keys.get(tip.publicKey),
      signatureCheck,
    );
    let ours = pending.get(tip.num);
    if (!ours) {
      ours = new Map();
      pending.set(tip.num, ours);
    }
    if (duplicates > 0) {
      for (const c of await conflicts(client, tip.num, records, tip.lastSeq, ours))
        alerts.push([storeId, terminalId, 'conflict', c, 'resent record differs from the stored one']);
    }
    accepted.forEach((r, i) => {
      rows.push({ terminal: tip.num, record: r, payload: payloads[i]! });
      ours.set(r.seq, r.hash);
      const decoded = decodePayload(r.type, r.payload);
      if (!decoded.ok) {
        alerts.push([storeId, terminalId, UNDECODABLE_RECORD, r.seq, `record ${r.id}: ${decoded.message}`]);
        return;
      }
      for (const change of decoded.unitChanges)
        events.push({
          batch: b,
          key: change.key,
          status: change.status,
          storeId,
          terminalId,
          at: r.at,
          recordId: r.id,
        });
    });
    if (problem) alerts.push([storeId, terminalId, problem.code, problem.seq, problem.message]);
    for (const a of recoveryAlerts(accepted))
      recovered.push([storeId, terminalId, 'ledger_recovered', a.seq, a.message]);
    const last = accepted.at(-1);
    if (last) {
      tip.lastSeq = last.seq;
      tip.lastHash = last.hash;
    }
    results.push({
      ackSeq: tip.lastSeq,
      accepted,
      duplicates,
      unitEvents: 0,
      ...(problem ? { problem } : {}),
    });
  }
  const added = await writeAll(client, {
    rows,
    events,
    tips: [...tips.values()].filter((t) => pending.get(t.num)?.size),
    alerts: [...alerts, ...recovered],
  });
  for (const b of added) results[b]!.unitEvents++;
  return results;
}

async function lockTips(client: pg.PoolClient, batches: readonly IngestBatch[]): Promise<Map<string, Tip>> {
  const ids = [...new Set(batches.map((b) => `${b.storeId}\u0000${b.terminalId}`))].sort();
  const { rows } = await client.query<{
    num: number;
    store_id: string;
    terminal_id: string;
    public_key: string;
    last_seq: number;
    last_hash: string;
    revoked_at: string | null;
  }>({
    name: 'vt_ingest_lock_tips',
    text: `SELECT t.num, t.store_id, t.terminal_id, t.public_key, t.last_seq, t.last_hash, t.revoked_at
     FROM up_terminals t JOIN unnest($1::text[], $2::text[]) AS w(store_id, terminal_id)
       ON t.store_id = w.store_id AND t.terminal_id = w.terminal_id
     ORDER BY t.store_id, t.terminal_id FOR UPDATE OF t`,
    values: [ids.map((id) => id.split('\u0000')[0]), ids.map((id) => id.split('\u0000')[1])],
  });
  return new Map(
    rows.map((r) => [
      `${r.store_id}\u0000${r.terminal_id}`,
      {
        num: r.num,
        publicKey: r.public_key,
        lastSeq: r.last_seq,
        lastHash: r.last_hash,
        revokedAt: r.revoked_at,
      },
    ]),
  );
}

/** Seqs of resent records (at or below `upTo`) whose hash differs from the stored one: a forked chain. */
async function conflicts(
  client: pg.PoolClient,
  terminal: number,
  records: readonly LedgerRecord[],
  upTo: number,
  pendingHashes: Map<number, string>,
): Promise<number[]> {
  const resent = records.filter((r) => r.seq <= upTo);
  const stored = new Map(pendingHashes);
  const lookup = resent.filter((r) => !stored.has(r.seq)).map((r) => r.seq);
  if (lookup.length > 0) {
    const { rows } = await client.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM up_records WHERE terminal = $1 AND seq = ANY($2::bigint[])',
      [terminal, lookup],
    );
    for (const row of rows) stored.set(row.seq, row.hash);
  }
  return resent.filter((r) => stored.has(r.seq) && stored.get(r.seq) !== r.hash).map((r) => r.seq);
}

type EventRow = {
  batch: number;
  key: string;
  status: string;
  storeId: string;
  terminalId: string;
  at: string;
  recordId: string;
};

/**
 * Writes a call's records, unit events (unique per record and unit: a re-ingest adds nothing), new
 * tips and alerts (in the order raised, so identity order is `alerts()` order) in ONE statement of
 * data-modifying CTEs, each from arrays: one round trip instead of four (PostgreSQL runs every
 * data-modifying WITH part exactly once, read or not). Returns the batch index of each added event.
 */
async function writeAll(
  client: pg.PoolClient,
  w: {
    rows: readonly { terminal: number; record: LedgerRecord; payload: string }[];
    events: readonly EventRow[];
    tips: readonly Tip[];
    alerts: readonly AlertRow[];
  },
): Promise<number[]> {
  const values: unknown[] = [];
  const p = (v: unknown, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  /** `unnest`'s arguments: one typed array parameter per column, in order. */
  const columns = <T>(items: readonly T[], cols: readonly [(item: T) => unknown, string][]) =>
    cols.map(([get, type]) => p(items.map(get), type)).join(', ');
  const parts: string[] = [];
  const { rows, events, tips, alerts } = w;
  if (rows.length > 0)
    parts.push(`r AS (INSERT INTO up_records (terminal, seq, id, type, at, hash, signature, payload)
      SELECT * FROM unnest(${columns(rows, [
        [(r) => r.terminal, 'integer[]'],
        [(r) => r.record.seq, 'bigint[]'],
        [(r) => r.record.id, 'text[]'],
        [(r) => r.record.type, 'text[]'],
        [(r) => r.record.at, 'text[]'],
        [(r) => r.record.hash, 'text[]'],
        [(r) => r.record.signature, 'text[]'],
        [(r) => r.payload, 'text[]'],
      ])}))`);
  if (events.length > 0)
    parts.push(`e AS (INSERT INTO up_unit_events (key, status, store_id, terminal_id, at, record_id)
      SELECT key, status, store_id, terminal_id, at, record_id
      FROM unnest(${columns(events, [
        [(e) => e.key, 'text[]'],
        [(e) => e.status, 'text[]'],
        [(e) => e.storeId, 'text[]'],
        [(e) => e.terminalId, 'text[]'],
        [(e) => e.at, 'text[]'],
        [(e) => e.recordId, 'text[]'],
      ])}) WITH ORDINALITY
        AS x(key, status, store_id, terminal_id, at, record_id, n)
      ORDER BY n
      ON CONFLICT (record_id, key) DO NOTHING
      RETURNING record_id, key)`);
  if (tips.length > 0)
    parts.push(`t AS (UPDATE up_terminals t SET last_seq = v.seq, last_hash = v.hash, last_at = now()
      FROM unnest(${columns(tips, [
        [(t) => t.num, 'integer[]'],
        [(t) => t.lastSeq, 'bigint[]'],
        [(t) => t.lastHash, 'text[]'],
      ])}) AS v(num, seq, hash) WHERE t.num = v.num)`);
  if (alerts.length > 0)
    parts.push(`a AS (INSERT INTO up_alerts (at, store_id, terminal_id, kind, seq, message)
      SELECT ${p(new Date().toISOString(), 'text')}, store_id, terminal_id, kind, seq, message
      FROM unnest(${columns(alerts, [
        [(a) => a[0], 'text[]'],
        [(a) => a[1], 'text[]'],
        [(a) => a[2], 'text[]'],
        [(a) => a[3], 'bigint[]'],
        [(a) => a[4], 'text[]'],
      ])}) WITH ORDINALITY AS x(store_id, terminal_id, kind, seq, message, n)
      ORDER BY n
      ON CONFLICT (store_id, terminal_id, kind, seq) DO NOTHING)`);
  if (parts.length === 0) return [];
  const select =
    events.length > 0 ? 'SELECT record_id, key FROM e' : 'SELECT NULL AS record_id, NULL AS key WHERE false';
  // Named (prepared once per connection): the text depends only on which parts are present, and a
  // fleet's calls are many and small, so parsing and planning each one costs more than running it.
  const name = `vt_ingest_write_${rows.length > 0 ? 'r' : ''}${events.length > 0 ? 'e' : ''}${tips.length > 0 ? 't' : ''}${alerts.length > 0 ? 'a' : ''}`;
  const { rows: added } = await client.query<{ record_id: string; key: string }>({
    name,
    text: `WITH ${parts.join(',\n')}\n${select}`,
    values,
  });
  const batchOf = new Map(events.map((e) => [`${e.recordId}\u0000${e.key}`, e.batch]));
  return added.map((r) => batchOf.get(`${r.record_id}\u0000${r.key}`)!);
}

/** Alerts in the order they were raised (identity order = `alerts()` order), one per (store, terminal, kind, seq). */
export async function insertAlerts(
  client: pg.PoolClient | pg.Pool,
  alerts: readonly AlertRow[],
): Promise<void> {
  if (alerts.length === 0) return;
  const at = new Date().toISOString();
  await client.query({
    name: 'vt_insert_alerts',
    text: `INSERT INTO up_alerts (at, store_id, terminal_id, kind, seq, message)
     SELECT $1, store_id, terminal_id, kind, seq, message
     FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY
       AS a(store_id, terminal_id, kind, seq, message, n)
     ORDER BY n
     ON CONFLICT (store_id, terminal_id, kind, seq) DO NOTHING`,
    values: [
      at,
      alerts.map((a) => a[0]),
      alerts.map((a) => a[1]),
      alerts.map((a) => a[2]),
      alerts.map((a) => a[3]),
      alerts.map((a) => a[4]),
    ],
  });
}
