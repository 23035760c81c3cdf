import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runSimulation } from '../../cli/upstream/simulate/run-simulation.js';
import { reportLines } from '../../cli/upstream/simulate/sim-report.js';
import { openDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import { IngestStore } from '../../upstream/ingest-store.js';
import { salePayload } from '../helpers/ledger-payloads.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { nowMs, report, scaled } from './lib.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/**
 * Raw baseline: the same shape of records (a sale and 10 write-offs, signed by the real ledger)
 * stored straight into the upstream's IngestStore, one sale per batch and 8 batches per commit as
 * the upstream groups them, no broker, no processes: what the fleet's path is measured against.
 */
function rawIngest(sales: number): { recordsPerSecond: number; cpuUsPerRecord: number } {
  const tmp = makeTempDir('vt-bench-sim-');
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const ledger = new Ledger({
      db: new Database(':memory:'),
      identity: identityFromPrivateKey(privateKey),
      storeId: 'store-1',
      terminalId: 'till-1',
    });
    const batches = [];
    for (let s = 0; s < sales; s++) {
      const codes = Array.from(
        { length: 10 },
        (_, i) => `${1_000_000 + i}${String(s * 10 + i).padStart(13, '0')}`,
      );
      ledger.transaction(() => {
        const sale = ledger.append('sale', salePayload(codes));
        for (const [line, codeKey] of codes.entries())
          ledger.append('write_off', { codeKey, saleId: sale.id, line });
      });
    }
    const records = ledger.pending(0, sales * 11);
    for (let i = 0; i < records.length; i += 11) batches.push(records.slice(i, i + 11));
    const store = new IngestStore(openDatabase(join(tmp.dir, 'upstream.db')));
    store.enrol('store-1', 'till-1', publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const cpu = process.cpuUsage();
    const start = nowMs();
    for (let i = 0; i < batches.length; i += 8)
      store.ingestMany(
        batches.slice(i, i + 8).map((b) => ({ storeId: 'store-1', terminalId: 'till-1', records: b })),
      );
    const ms = nowMs() - start;
    const used = process.cpuUsage(cpu);
    store.db.close();
    return {
      recordsPerSecond: Math.round((records.length * 1000) / ms),
      cpuUsPerRecord: (used.user + used.system) / records.length,
    };
  } finally {
    tmp.cleanup();
  }
}

/**
 * The fleet simulator (cli/upstream/simulate): VT_SIM_TERMINALS (1000), VT_SIM_STORES (250),
 * VT_SIM_SALES_PER_S (300), VT_SIM_DURATION_S (300 × BENCH_SCALE), VT_SIM_CLONES (20).
 */
export async function run(): Promise<void> {
  const raw = rawIngest(scaled(3000));
  report('simulate', 'raw_ingest_rate', raw.recordsPerSecond, 'records/s');
  report('simulate', 'raw_ingest_cpu', raw.cpuUsPerRecord, 'µs/record');
  const result = await runSimulation({
    terminals: env('VT_SIM_TERMINALS', 1000),
    stores: env('VT_SIM_STORES', 250),
    salesPerSecond: env('VT_SIM_SALES_PER_S', 300),
    durationS: env('VT_SIM_DURATION_S', scaled(300)),
    clones: env('VT_SIM_CLONES', 20),
    // VT_SIM_DB=postgres://… (an empty scratch database) runs the upstream on PostgreSQL with
    // VT_SIM_WORKERS worker processes (default 2 there).
    ...(process.env.VT_SIM_DB ? { database: process.env.VT_SIM_DB, workers: env('VT_SIM_WORKERS', 2) } : {}),
    progress: (line) => console.error(line),
  });
  for (const line of reportLines(result)) console.log(line);
  const ingestedPerCore = result.cpu.upstream > 0 ? result.ingestRecordsPerSecond / result.cpu.upstream : 0;
  report(
    'simulate',
    'upstream_cpu_per_record',
    ingestedPerCore > 0 ? 1e6 / ingestedPerCore : Number.NaN,
    'µs/record',
  );
  report('simulate', 'ingest_vs_raw', result.ingestRecordsPerSecond / raw.recordsPerSecond, 'x');
}
