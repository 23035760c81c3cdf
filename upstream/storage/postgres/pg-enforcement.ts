import type pg from 'pg';
import { GENESIS_HASH } from '../../../terminal/ledger/canonical.js';
import { decodePayload } from '../../../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import type {
  EnforcementPort,
  EnforcementRecorder,
  FeedInsert,
  IngestedBatch,
  IngestOutcome,
  UnitSale,
} from '../../enforcement/enforcement-recorder.js';
import { recordFromRow } from '../../enforcement/stored-records.js';
import { insertAlerts } from './pg-ingest.js';

type Alert = [storeId: string, terminalId: string, kind: string, seq: number | null, message: string];
type Sale = UnitSale & { recordId: string };
/** Records fetched per miss: a chain after a stored record is read in one round trip, not one per seq. */
const RECORD_CHUNK = 512;
/** Fetch-and-rerun rounds before giving up (each round fetches at least one missing thing). */
const MAX_ROUNDS = 64;

const term = (s: string, t: string) => `${s}\u0000${t}`;

/**
 * The enforcement feed on PostgreSQL, inside the ingest transaction after the records are written:
 * the same recorder as the SQLite engine (enforcement-recorder.ts), so both raise the same alerts
 * with the same evidence.
 *
 * Clones across workers: every unit key a call writes off or takes back is locked first
 * (`pg_advisory_xact_lock` on a hash of the key, keys sorted, always after the terminals' tip
 * locks, so two workers cannot deadlock), and only then its latest sale is read. Two workers
 * ingesting the two sales of one unit at once are thereby serialised on the unit: the second
 * waits for the first's commit and sees its sale (READ COMMITTED reads what committed before each
 * statement), so the clone is alerted exactly once, at the later commit.
 *
 * The recorder is synchronous; this port answers from what it fetched. A run that asked for
 * something not fetched (a stored record for evidence, a key, conflict alerts) is discarded, the
 * misses fetched, and the recorder run again: writes are buffered and applied only after a
 * complete run.
 */
export async function enforceInTransaction(
  client: pg.PoolClient,
  recorder: EnforcementRecorder,
  batches: readonly IngestedBatch[],
  outcomes: readonly IngestOutcome[],
): Promise<void> {
  const unitKeys = new Set<string>();
  let anything = false;
  outcomes.forEach((o) => {
    if (o.problem || o.duplicates > 0) anything = true;
    for (const r of o.accepted) {
      if (r.type !== 'write_off' && r.type !== 'return' && r.type !== 'alert') continue;
      anything = true;
      const decoded = decodePayload(r.type, r.payload);
      if (!decoded.ok) continue;
      if (decoded.type === 'write_off') unitKeys.add(decoded.payload.codeKey);
      else if (decoded.type === 'return') for (const l of decoded.payload.lines) unitKeys.add(l.codeKey);
    }
  });
  if (!anything) return;
  const sorted = [...unitKeys].sort();
  const sales = new Map<string, Sale>();
  if (sorted.length > 0) {
    // Named statements (prepared once per connection): a fleet's calls are many and small.
    await client.query({
      name: 'vt_enf_lock_units',
      text: 'SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k',
      values: [sorted],
    });
    const { rows } = await client.query<Sale & { key: string; record_id: string }>({
      name: 'vt_enf_unit_sales',
      // One index probe per key, whatever the planner thinks of the array: as `key = ANY($1)` the
      // statement's cached plan was a sequential scan of the whole table (planned while the table
      // was small), which in the fleet simulator read ~2,800 rows per record ingested and held
      // PostgreSQL at a full core. LIMIT 1 keeps the subquery from being pulled up into a join.
      text: `SELECT s.key, s.store_id, s.terminal_id, s.seq, s.at, s.returned, s.record_id
       FROM unnest($1::text[]) AS k(key)
       CROSS JOIN LATERAL (SELECT * FROM enf_unit_sales u WHERE u.key = k.key LIMIT 1) AS s`,
      values: [sorted],
    });
    for (const r of rows)
      sales.set(r.key, {
        store_id: r.store_id,
        terminal_id: r.terminal_id,
        seq: r.seq,
        at: r.at,
        returned: r.returned,
        recordId: r.record_id,
      });
  }
  // Keys and stored records are fetched only when a run asks for them (evidence of an alert):
  // most calls raise none, and pay no round trip for them.
  const fetched = new Fetched(client);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const port = new RunPort(fetched, sales);
    recorder.afterIngest(batches, outcomes, port);
    if (fetched.hasMisses()) {
      await fetched.fetchMisses();
      continue;
    }
    await port.write(client);
    return;
  }
  throw new Error(`enforcement: still missing data after ${MAX_ROUNDS} rounds`);
}

/** Keys, stored records and conflict alerts fetched for this call; what a run missed, to fetch next. */
class Fetched {
  readonly publicKeys = new Map<string, string | null>();
  readonly records = new Map<string, LedgerRecord | null>();
  readonly conflicts = new Map<string, number[]>();
  private missedKeys: [string, string][] = [];
  private missedRecords: [string, string, number][] = [];
  private missedConflicts: [string, string, number, number][] = [];

  constructor(private readonly client: pg.PoolClient) {}

  hasMisses(): boolean {
    return this.missedKeys.length + this.missedRecords.length + this.missedConflicts.length > 0;
  }

  publicKey(storeId: string, terminalId: string): string | undefined {
    const got = this.publicKeys.get(term(storeId, terminalId));
    if (got === undefined) this.missedKeys.push([storeId, terminalId]);
    return got ?? undefined;
  }

  record(storeId: string, terminalId: string, seq: number): LedgerRecord | undefined {
    if (seq < 1) return undefined;
    const got = this.records.get(`${term(storeId, terminalId)}\u0000${seq}`);
    if (got === undefined) this.missedRecords.push([storeId, terminalId, seq]);
    return got ?? undefined;
  }

  conflictSeqs(storeId: string, terminalId: string, low: number, high: number): number[] {
    const got = this.conflicts.get(`${term(storeId, terminalId)}\u0000${low}\u0000${high}`);
    if (got === undefined) this.missedConflicts.push([storeId, terminalId, low, high]);
    return got ?? [];
  }

  async fetchMisses(): Promise<void> {
    const keys = this.missedKeys;
    const records = this.missedRecords;
    const conflicts = this.missedConflicts;
    this.missedKeys = [];
    this.missedRecords = [];
    this.missedConflicts = [];
    await this.keys(keys);
    for (const [s, t, seq] of records) await this.recordsFrom(s, t, seq);
    for (const [s, t, low, high] of conflicts) {
      const { rows } = await this.client.query<{ seq: number }>(
        `SELECT seq FROM up_alerts WHERE store_id = $1 AND terminal_id = $2 AND kind = 'conflict'
         AND seq BETWEEN $3 AND $4 ORDER BY seq`,
        [s, t, low, high],
      );
      this.conflicts.set(
        `${term(s, t)}\u0000${low}\u0000${high}`,
        rows.map((r) => r.seq),
      );
    }
  }

  async keys(terminals: readonly (readonly [string, string])[]): Promise<void> {
    const todo = [...new Set(terminals.map(([s, t]) => term(s, t)))].filter((k) => !this.publicKeys.has(k));
    if (todo.length === 0) return;
    const { rows } = await this.client.query<{ store_id: string; terminal_id: string; public_key: string }>(
      `SELECT t.store_id, t.terminal_id, t.public_key FROM up_terminals t
       JOIN unnest($1::text[], $2::text[]) AS w(store_id, terminal_id)
         ON t.store_id = w.store_id AND t.terminal_id = w.terminal_id`,
      [todo.map((k) => k.split('\u0000')[0]), todo.map((k) => k.split('\u0000')[1])],
    );
    for (const k of todo) this.publicKeys.set(k, null);
    for (const r of rows) this.publicKeys.set(term(r.store_id, r.terminal_id), r.public_key);
  }

  /** Records `seq - 1` (for its hash: the prevHash) to `seq + RECORD_CHUNK` of a terminal. */
  private async recordsFrom(storeId: string, terminalId: string, seq: number): Promise<void> {
    const prefix = term(storeId, terminalId);
    if (this.records.has(`${prefix}\u0000${seq}`)) return;
    const { rows } = await this.client.query<{
      seq: number;
      id: string;
      type: string;
      at: string;
      hash: string;
      signature: string;
      payload: string;
    }>(
      `SELECT r.seq, r.id, r.type, r.at, r.hash, r.signature, r.payload
       FROM up_records r JOIN up_terminals t ON t.num = r.terminal
       WHERE t.store_id = $1 AND t.terminal_id = $2 AND r.seq BETWEEN $3 AND $4 ORDER BY r.seq`,
      [storeId, terminalId, seq - 1, seq + RECORD_CHUNK],
    );
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    for (let s = seq; s <= seq + RECORD_CHUNK; s++) {
      const row = bySeq.get(s);
      const prevHash = s === 1 ? GENESIS_HASH : bySeq.get(s - 1)?.hash;
      this.records.set(
        `${prefix}\u0000${s}`,
        row && prevHash !== undefined ? recordFromRow(row, { storeId, terminalId, seq: s, prevHash }) : null,
      );
    }
  }
}

/** One run of the recorder: reads from what was fetched, writes buffered (applied only after a complete run). */
class RunPort implements EnforcementPort {
  private readonly sales: Map<string, Sale>;
  private readonly changed = new Set<string>();
  private readonly raised: Alert[] = [];
  private readonly rows: FeedInsert[] = [];

  constructor(
    private readonly fetched: Fetched,
    base: ReadonlyMap<string, Sale>,
  ) {
    this.sales = new Map([...base].map(([k, v]) => [k, { ...v }]));
  }

  publicKeyOf(storeId: string, terminalId: string): string | undefined {
    return this.fetched.publicKey(storeId, terminalId);
  }
  unitSale(key: string): UnitSale | undefined {
    return this.sales.get(key);
  }
  setUnitSale(
    key: string,
    storeId: string,
    terminalId: string,
    seq: number,
    recordId: string,
    at: string,
  ): void {
    this.sales.set(key, { store_id: storeId, terminal_id: terminalId, seq, at, returned: 0, recordId });
    this.changed.add(key);
  }
  markReturned(key: string, recordId: string | undefined): void {
    const sale = this.sales.get(key);
    if (!sale || recordId === undefined || sale.recordId !== recordId) return;
    sale.returned = 1;
    this.changed.add(key);
  }
  conflictSeqs(storeId: string, terminalId: string, low: number, high: number): number[] {
    return this.fetched.conflictSeqs(storeId, terminalId, low, high);
  }
  storedRecord(storeId: string, terminalId: string, seq: number): LedgerRecord | undefined {
    return this.fetched.record(storeId, terminalId, seq);
  }
  raise(storeId: string, terminalId: string, kind: string, seq: number | null, message: string): void {
    this.raised.push([storeId, terminalId, kind, seq, message]);
  }
  insert(row: FeedInsert): void {
    this.rows.push(row);
  }

  async write(client: pg.PoolClient): Promise<void> {
    const keys = [...this.changed];
    if (keys.length > 0) {
      const sales = keys.map((k) => this.sales.get(k)!);
      await client.query({
        name: 'vt_enf_upsert_sales',
        text: `INSERT INTO enf_unit_sales (key, store_id, terminal_id, seq, record_id, at, returned)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::integer[])
         ON CONFLICT (key) DO UPDATE SET store_id = excluded.store_id, terminal_id = excluded.terminal_id,
           seq = excluded.seq, record_id = excluded.record_id, at = excluded.at, returned = excluded.returned`,
        values: [
          keys,
          sales.map((s) => s.store_id),
          sales.map((s) => s.terminal_id),
          sales.map((s) => s.seq),
          sales.map((s) => s.recordId),
          sales.map((s) => s.at),
          sales.map((s) => s.returned),
        ],
      });
    }
    await insertAlerts(client, this.raised);
    if (this.rows.length === 0) return;
    const col = <K extends keyof FeedInsert>(k: K) => this.rows.map((r) => r[k]);
    await client.query(
      `INSERT INTO enf_alerts (detected_at, at, kind, source, store_id, terminal_id, seq,
         other_store_id, other_terminal_id, code, product, message, evidence)
       SELECT detected_at, at, kind, source, store_id, terminal_id, seq, other_store_id,
         other_terminal_id, code, product, message, evidence
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY
         AS x(detected_at, at, kind, source, store_id, terminal_id, seq, other_store_id,
           other_terminal_id, code, product, message, evidence, n)
       ORDER BY n
       ON CONFLICT (store_id, terminal_id, kind, seq, code) DO NOTHING`,
      [
        col('detectedAt'),
        col('at'),
        col('kind'),
        col('source'),
        col('storeId'),
        col('terminalId'),
        col('seq'),
        col('otherStoreId'),
        col('otherTerminalId'),
        col('code'),
        col('product'),
        col('message'),
        col('evidence'),
      ],
    );
  }
}
