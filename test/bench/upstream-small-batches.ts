import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { payloadText } from '../../upstream/record-verify.js';
import type { IngestBatch } from '../../upstream/storage/ingest-types.js';
import type { PostgresUpstreamStorage } from '../../upstream/storage/postgres/pg-storage.js';
import { processCpuMs, report, scaled } from './lib.js';

/**
 * The fleet's shape on PostgreSQL, without MQTT (part of `npm run bench -- upstream`): calls of
 * 64 one-sale batches (10 write-offs and a receipt each) from 64 terminals, what a worker flushes
 * per transaction from a 1,000-terminal fleet (upstream/ingest-queue.ts). Reports CPU per
 * record of this process (process.cpuUsage: hashing, signatures, the pg driver) and of the
 * database backends (/proc of the pool's backend pids; the server runs on this machine), beside
 * the same figures for 200-record batches (8 per call) and for the raw baseline: the small
 * batches' rows in one multi-row INSERT per call by one client.
 */
const BENCH = 'upstream';
const TERMINALS = 64;
const WRITE_OFFS_PER_SALE = 10;
const BIG_BATCH = 200;
const BIG_PER_CALL = 8;

interface Fleet {
  keys: Map<string, string>;
  chains: LedgerRecord[][];
}

/** `terminals` chains of `sales` sales (10 write-offs then a receipt), terminal ids `${prefix}N`. */
function fleet(dir: string, prefix: string, terminals: number, sales: number): Fleet {
  const keys = new Map<string, string>();
  const chains = Array.from({ length: terminals }, (_, n) => {
    const terminalId = `${prefix}${n}`;
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    keys.set(terminalId, identity.publicKeyPem);
    const ledger = new Ledger({ file: join(dir, `${terminalId}.db`), identity, storeId: 's1', terminalId });
    ledger.transaction(() => {
      for (let s = 0; s < sales; s++) {
        for (let line = 0; line < WRITE_OFFS_PER_SALE; line++)
          ledger.append('write_off', {
            codeKey: `0106901234567892215${terminalId}x${s}x${line}`,
            saleId: `sale-${s}`,
            line,
          });
        ledger.append('receipt_printed', { saleId: `sale-${s}` });
      }
    });
    const records = ledger.pending(0, sales * (WRITE_OFFS_PER_SALE + 1) + 1);
    ledger.close();
    return records;
  });
  return { keys, chains };
}

/** Calls of one batch of `size` records per terminal, `perCall` batches per call, round robin. */
function calls(f: Fleet, size: number, perCall: number): IngestBatch[][] {
  const batches: IngestBatch[] = [];
  for (let offset = 0; f.chains.some((c) => offset < c.length); offset += size)
    for (const c of f.chains) {
      const records = c.slice(offset, offset + size);
      if (records.length > 0) batches.push({ storeId: 's1', terminalId: records[0]!.terminalId, records });
    }
  const out: IngestBatch[][] = [];
  for (let i = 0; i < batches.length; i += perCall) out.push(batches.slice(i, i + perCall));
  return out;
}

/** Worker and database CPU (µs per record) of `work`; the pool's backends are found by database. */
async function cpuPerRecord(
  storage: PostgresUpstreamStorage,
  records: number,
  work: () => Promise<void>,
): Promise<{ worker: number; db: number }> {
  const backends = async () =>
    (
      await storage.pool.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = $1',
        ['client backend'],
      )
    ).rows.map((r) => r.pid);
  // Open every pooled connection first, so no backend starts (uncounted) during the work.
  const held = await Promise.all(Array.from({ length: 4 }, () => storage.pool.connect()));
  for (const c of held) c.release();
  const pids = await backends();
  const dbCpu = () => pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const db0 = dbCpu();
  const cpu0 = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(cpu0);
  const db = dbCpu() - db0;
  return { worker: (cpu.user + cpu.system) / records, db: (db * 1000) / records };
}

export async function smallBatches(storage: PostgresUpstreamStorage, tmpDir: string): Promise<void> {
  const sales = scaled(40);
  const small = fleet(tmpDir, 'f', TERMINALS, sales);
  const smallRecords = TERMINALS * sales * (WRITE_OFFS_PER_SALE + 1);
  // As many records in 200-record batches: 16 terminals.
  const big = fleet(tmpDir, 'b', 16, Math.ceil(smallRecords / 16 / (WRITE_OFFS_PER_SALE + 1)));
  const bigRecords = big.chains.reduce((n, c) => n + c.length, 0);
  const reset = async () => {
    await storage.pool.query(
      'TRUNCATE up_terminals, up_records, up_alerts, up_unit_events, enf_unit_sales, enf_alerts, raw_records, raw_unit_events RESTART IDENTITY',
    );
    for (const f of [small, big])
      for (const [terminalId, pem] of f.keys) await storage.ingest.enrol('s1', terminalId, pem);
    await storage.pool.query('CHECKPOINT');
  };
  const ingestAll = (all: IngestBatch[][]) => async () => {
    for (const call of all) {
      const results = await storage.ingest.ingest(call);
      const bad = results.find((r) => r.problem);
      if (bad) throw new Error(`bench ingest refused a batch: ${JSON.stringify(bad.problem)}`);
    }
  };
  const smallCalls = calls(small, WRITE_OFFS_PER_SALE + 1, TERMINALS);

  await reset();
  const raw = await cpuPerRecord(storage, smallRecords, async () => {
    const terminalNum = new Map([...small.keys.keys()].map((t, i) => [t, i + 1]));
    for (const call of smallCalls) {
      const rows = call.flatMap((b) => b.records);
      const sold = rows.filter((r) => r.type === 'write_off');
      await storage.pool.query(
        `WITH r AS (INSERT INTO raw_records (terminal, seq, id, type, at, hash, signature, payload)
           SELECT * FROM unnest($1::integer[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]))
         INSERT INTO raw_unit_events (key, status, store_id, terminal_id, at, record_id)
           SELECT key, 'sold', 's1', terminal_id, at, record_id FROM unnest($9::text[], $10::text[], $11::text[], $12::text[])
             AS e(key, terminal_id, at, record_id)`,
        [
          rows.map((r) => terminalNum.get(r.terminalId)),
          rows.map((r) => r.seq),
          rows.map((r) => r.id),
          rows.map((r) => r.type),
          rows.map((r) => r.at),
          rows.map((r) => r.hash),
          rows.map((r) => r.signature),
          rows.map((r) => payloadText(r.payload)),
          sold.map((r) => r.payload.codeKey as string),
          sold.map((r) => r.terminalId),
          sold.map((r) => r.at),
          sold.map((r) => r.id),
        ],
      );
    }
  });
  await reset();
  const bigCost = await cpuPerRecord(storage, bigRecords, ingestAll(calls(big, BIG_BATCH, BIG_PER_CALL)));
  await reset();
  const smallCost = await cpuPerRecord(storage, smallRecords, ingestAll(smallCalls));
  // The same batches one per call: what a lightly loaded worker commits (its queue holds one).
  await reset();
  const oneCost = await cpuPerRecord(
    storage,
    smallRecords,
    ingestAll(calls(small, WRITE_OFFS_PER_SALE + 1, 1)),
  );

  report(
    BENCH,
    'pg_small_batches_load',
    smallRecords,
    `records in ${smallCalls.length} calls of 64 one-sale batches`,
  );
  report(
    BENCH,
    'pg_small_batches_us_per_record',
    smallCost.worker + smallCost.db,
    'µs (worker + database CPU)',
  );
  report(BENCH, 'pg_small_batches_worker_us_per_record', smallCost.worker, 'µs');
  report(BENCH, 'pg_small_batches_db_us_per_record', smallCost.db, 'µs');
  report(
    BENCH,
    'pg_one_batch_calls_us_per_record',
    oneCost.worker + oneCost.db,
    'µs (the same batches, one per call)',
  );
  report(BENCH, 'pg_one_batch_calls_worker_us_per_record', oneCost.worker, 'µs');
  report(BENCH, 'pg_one_batch_calls_db_us_per_record', oneCost.db, 'µs');
  report(
    BENCH,
    'pg_big_batches_us_per_record',
    bigCost.worker + bigCost.db,
    'µs (200-record batches, 8 per call)',
  );
  report(BENCH, 'pg_big_batches_worker_us_per_record', bigCost.worker, 'µs');
  report(BENCH, 'pg_big_batches_db_us_per_record', bigCost.db, 'µs');
  report(
    BENCH,
    'pg_small_batches_raw_us_per_record',
    raw.worker + raw.db,
    'µs (multi-row INSERT, same rows and calls)',
  );
}
