import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { silentLogger } from '../../terminal/logger.js';
import { payloadText } from '../../upstream/record-verify.js';
import { PostgresUpstreamStorage } from '../../upstream/storage/postgres/pg-storage.js';
import { createTestDatabase, hasPostgres } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { median, nowMs, report, scaled } from './lib.js';
import { smallBatches } from './upstream-small-batches.js';

/**
 * `npm run bench -- upstream`: ingest on the PostgreSQL engine (issue 20) with 1 and 2 worker
 * processes, against the raw baseline of the same run: the same rows (records and the unit event
 * of each write-off) written by one client with one multi-row INSERT statement (from arrays) per
 * call, as many rows and commits as one ingest call. The
 * ingest calls verify every chain link and the batch-tip signature, lock each terminal's tip,
 * write the unit events and alerts and advance the tip; the raw one only inserts.
 * Also: bytes per stored record (table and indexes), for docs/scaling.md.
 */
const BENCH = 'upstream';
const here = dirname(fileURLToPath(import.meta.url));
const TERMINALS = 16;
/** Records per batch (a terminal's batch under load; its byte limit allows ~400 write-offs). */
const BATCH_RECORDS = 200;
/** Batches per ingest call: a loaded worker flushes up to 8 queued batches per transaction (create-upstream.ts). */
const BATCHES_PER_CALL = 8;
/** Alternated rounds of raw, 1 worker and 2 workers. */
const ROUNDS = 3;

/** Each terminal's public key (PEM) by terminal id. */
const keys = new Map<string, string>();

/** A checkout's day: write-offs (each a unit event upstream) with a receipt every few. */
function chain(dir: string, terminalId: string, length: number): LedgerRecord[] {
  const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
  keys.set(terminalId, identity.publicKeyPem);
  const ledger = new Ledger({ file: join(dir, `${terminalId}.db`), identity, storeId: 's1', terminalId });
  ledger.transaction(() => {
    for (let i = 0; i < length; i++) {
      if (i % 4 === 3) ledger.append('receipt_printed', { saleId: `sale-${i >> 2}` });
      else
        ledger.append('write_off', {
          codeKey: `0106901234567892215${terminalId}${String(i).padStart(8, '0')}`,
          saleId: `sale-${i >> 2}`,
          line: i & 3,
        });
    }
  });
  const records = ledger.pending(0, length + 1);
  ledger.close();
  return records;
}

function startWorker(url: string, files: string[]): Promise<{ child: ChildProcess; done: Promise<number> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'upstream-worker-child.ts'),
      url,
      String(BATCH_RECORDS),
      String(BATCHES_PER_CALL),
      ...files,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    let doneResolve: (ms: number) => void;
    const done = new Promise<number>((r) => {
      doneResolve = r;
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve({ child, done });
      const m = /done ([\d.]+)/.exec(out);
      if (m) doneResolve(Number(m[1]));
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`bench worker exited with ${code}`));
    });
  });
}

/** Ingests every chain with `workers` processes (terminals split between them); records/s. */
async function ingestWith(url: string, files: string[], workers: number, records: number): Promise<number> {
  const shares = Array.from({ length: workers }, (_, w) => files.filter((_, i) => i % workers === w));
  const started = await Promise.all(shares.map((share) => startWorker(url, share)));
  const t = nowMs();
  for (const w of started) w.child.stdin?.write('go\n');
  await Promise.all(started.map((w) => w.done));
  return records / ((nowMs() - t) / 1000);
}

export async function run(): Promise<void> {
  if (!(await hasPostgres())) {
    console.log(`${BENCH} skipped: no PostgreSQL server (see test/helpers/postgres.ts)`);
    return;
  }
  const tmp = makeTempDir('vt-bench-upstream-');
  const database = await createTestDatabase('vt_bench_upstream');
  const storage = await PostgresUpstreamStorage.open({ url: database.url, logger: silentLogger() });
  try {
    // The baseline's table: up_records' columns and key, nothing else.
    await storage.pool.query('CREATE TABLE raw_records (LIKE up_records INCLUDING ALL)');
    await storage.pool.query('CREATE TABLE raw_unit_events (LIKE up_unit_events INCLUDING ALL)');
    await storage.pool.query('TRUNCATE up_terminals');
    // The fleet's many one-sale batches per call (CPU per record; upstream-small-batches.ts).
    await smallBatches(storage, tmp.dir);
    // VT_BENCH_UPSTREAM=small: only that part (a quick before/after comparison).
    if (process.env.VT_BENCH_UPSTREAM === 'small') return;
    await storage.pool.query('TRUNCATE up_terminals, enf_unit_sales, enf_alerts');
    const perTerminal = scaled(12_500);
    const t = nowMs();
    const chains = Array.from({ length: TERMINALS }, (_, i) => chain(tmp.dir, `t${i}`, perTerminal));
    const files = chains.map((c, i) => {
      const file = join(tmp.dir, `t${i}.json`);
      writeFileSync(file, JSON.stringify(c));
      return file;
    });
    const records = TERMINALS * perTerminal;
    report(BENCH, 'records', records, 'records');
    report(BENCH, 'chains_signed', nowMs() - t, 'ms');

    const reset = async () => {
      await storage.pool.query(
        'TRUNCATE up_terminals, up_records, up_alerts, up_unit_events, enf_unit_sales, enf_alerts, raw_records, raw_unit_events RESTART IDENTITY',
      );
      for (const c of chains) await storage.ingest.enrol('s1', c[0]!.terminalId, keys.get(c[0]!.terminalId)!);
      await storage.pool.query('CHECKPOINT');
    };

    // Raw: one client, the same rows in as many statements and commits as the ingest calls.
    const rows = chains.flatMap((c, terminal) => c.map((r) => ({ terminal: terminal + 1, r })));
    // Ordered as the workers send them: a batch of each terminal in turn.
    const ordered: (typeof rows)[] = [];
    for (let offset = 0; offset < perTerminal; offset += BATCH_RECORDS)
      for (let terminal = 0; terminal < TERMINALS; terminal++)
        ordered.push(
          rows.slice(
            terminal * perTerminal + offset,
            terminal * perTerminal + Math.min(perTerminal, offset + BATCH_RECORDS),
          ),
        );
    const rawInsert = async (): Promise<number> => {
      const t = nowMs();
      for (let i = 0; i < ordered.length; i += BATCHES_PER_CALL) {
        const call = ordered.slice(i, i + BATCHES_PER_CALL).flat();
        // The unit event of each write-off too: ingest stores it beside the record.
        const sold = call.filter((x) => x.r.type === 'write_off');
        await storage.pool.query(
          `WITH r AS (INSERT INTO raw_records (terminal, seq, id, type, at, hash, signature, payload)
             SELECT * FROM unnest($1::integer[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]))
           INSERT INTO raw_unit_events (key, status, store_id, terminal_id, at, record_id)
             SELECT key, 'sold', 's1', terminal_id, at, record_id FROM unnest($9::text[], $10::text[], $11::text[], $12::text[])
               AS e(key, terminal_id, at, record_id)`,
          [
            call.map((x) => x.terminal),
            call.map((x) => x.r.seq),
            call.map((x) => x.r.id),
            call.map((x) => x.r.type),
            call.map((x) => x.r.at),
            call.map((x) => x.r.hash),
            call.map((x) => x.r.signature),
            call.map((x) => payloadText(x.r.payload)),
            sold.map((x) => x.r.payload.codeKey as string),
            sold.map((x) => x.r.terminalId),
            sold.map((x) => x.r.at),
            sold.map((x) => x.r.id),
          ],
        );
      }
      return records / ((nowMs() - t) / 1000);
    };

    // Rounds alternate the three (this VM's speed drifts): each ratio is against the raw run of its
    // own round, and the median of the rounds is reported.
    const kinds = ['raw', 'ingest_1_worker', 'ingest_2_workers'] as const;
    const rates: Record<(typeof kinds)[number], number[]> = {
      raw: [],
      ingest_1_worker: [],
      ingest_2_workers: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + round) % kinds.length]!;
        await reset();
        const workers = kind === 'ingest_1_worker' ? 1 : 2;
        const rate =
          kind === 'raw' ? await rawInsert() : await ingestWith(database.url, files, workers, records);
        rates[kind].push(rate);
        if (kind === 'raw') continue;
        const { rows: check } = await storage.pool.query<{ n: number; events: number }>(
          'SELECT (SELECT count(*)::int FROM up_records) AS n, (SELECT count(*)::int FROM up_unit_events) AS events',
        );
        if (check[0]!.n !== records) throw new Error(`stored ${check[0]!.n} of ${records} records`);
        if (round === 0 && workers === 1) report(BENCH, 'pg_unit_events', check[0]!.events, 'events');
      }
      report(BENCH, `pg_round_${round + 1}`, Math.round(rates.raw[round]!), 'raw_records/s');
      for (const kind of ['ingest_1_worker', 'ingest_2_workers'] as const)
        report(BENCH, `pg_round_${round + 1}_${kind}_vs_raw`, rates[kind][round]! / rates.raw[round]!, 'x');
    }
    report(BENCH, 'pg_raw_multirow_insert', Math.round(median(rates.raw)), 'records/s');
    for (const kind of ['ingest_1_worker', 'ingest_2_workers'] as const) {
      report(BENCH, `pg_${kind}`, Math.round(median(rates[kind])), 'records/s');
      const ratios = rates[kind].map((rate, r) => rate / rates.raw[r]!);
      report(BENCH, `pg_${kind}_vs_raw`, median(ratios), 'x');
      report(BENCH, `pg_${kind}_vs_raw_min`, Math.min(...ratios), 'x');
    }
    // Sizes of the tables as an ingest left them (the last round may end with the raw run).
    const { rows: stored } = await storage.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM up_records',
    );
    if (stored[0]!.n !== records) {
      await reset();
      await ingestWith(database.url, files, 1, records);
    }
    await storage.pool.query('VACUUM ANALYZE up_records');
    const { rows: size } = await storage.pool.query<{ bytes: number }>(
      "SELECT pg_total_relation_size('up_records')::bigint AS bytes",
    );
    report(BENCH, 'pg_bytes_per_record', Math.round(size[0]!.bytes / records), 'B');
    const { rows: ev } = await storage.pool.query<{ bytes: number; n: number }>(
      "SELECT pg_total_relation_size('up_unit_events')::bigint AS bytes, (SELECT count(*)::int FROM up_unit_events) AS n",
    );
    report(BENCH, 'pg_bytes_per_unit_event', Math.round(ev[0]!.bytes / Math.max(1, ev[0]!.n)), 'B');
  } finally {
    await storage.close();
    await database.drop();
    tmp.cleanup();
  }
}
