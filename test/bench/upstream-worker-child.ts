/**
 * One upstream ingest worker for the upstream bench, as its own process (its own event loop, as
 * a `veriterm upstream` worker on another machine would have): opens the PostgreSQL engine, reads
 * its terminals' signed chains, prints "ready", waits for a line on stdin, ingests every chain in
 * calls of `batchesPerCall` batches (one per terminal, round robin: what a worker's queue holds
 * under load), then prints "done <ms>". Args: databaseUrl batchRecords batchesPerCall file….
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { silentLogger } from '../../terminal/logger.js';
import type { IngestBatch } from '../../upstream/storage/ingest-types.js';
import { PostgresUpstreamStorage } from '../../upstream/storage/postgres/pg-storage.js';
import { nowMs } from './lib.js';

const [url, batchRecords, batchesPerCall, ...files] = process.argv.slice(2) as [
  string,
  string,
  string,
  ...string[],
];
const chains = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as LedgerRecord[]);
const storage = await PostgresUpstreamStorage.open({ url, logger: silentLogger(), poolSize: 2 });
const size = Number(batchRecords);
const batches: IngestBatch[] = [];
for (let offset = 0; chains.some((c) => offset < c.length); offset += size)
  for (const c of chains) {
    const records = c.slice(offset, offset + size);
    if (records.length > 0)
      batches.push({ storeId: records[0]!.storeId, terminalId: records[0]!.terminalId, records });
  }
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const t = nowMs();
for (let i = 0; i < batches.length; i += Number(batchesPerCall)) {
  const results = await storage.ingest.ingest(batches.slice(i, i + Number(batchesPerCall)));
  const bad = results.find((r) => r.problem);
  if (bad) throw new Error(`bench ingest refused a batch: ${JSON.stringify(bad.problem)}`);
}
process.stdout.write(`done ${nowMs() - t}\n`);
await storage.close();
process.exit(0);
