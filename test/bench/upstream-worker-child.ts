/**
 * One upstream ingest worker for the upstream bench, as its own process (its own event loop, as
 * a `veriterm upstream` worker on another machine would have): opens the PostgreSQL engine, reads
 * its terminals' signed chains, prints "ready", waits for a line on stdin, ingests every chain in
 * calls of `batchesPerCall` batches (one per terminal, round robin: what a worker's queue holds
 * under load), then prints "done <ms>". Args: databaseUrl batchRecords batchesPerCall file….
 * The batches are held as terminals send them (version 2 JSON) and decoded as the worker does
 * (create-upstream.ts decodeBatch).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { silentLogger } from '../../terminal/logger.js';
import { decodeJson, parseRecordBatch } from '../../terminal/sync/protocol.js';
import { IngestQueue } from '../../upstream/ingest-queue.js';
import { recordsFromCompact } from '../../upstream/record-verify.js';
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
const perCall = Number(batchesPerCall);
/** A version 2 batch as a terminal's drain sends it (terminal/sync/drain.ts encode). */
const encode = (records: LedgerRecord[]): Buffer => {
  const first = records[0]!;
  return Buffer.from(
    JSON.stringify({
      v: 2,
      batchId: `${first.terminalId}:${first.seq}-${records.at(-1)!.seq}`,
      storeId: first.storeId,
      terminalId: first.terminalId,
      firstSeq: first.seq,
      prevHash: first.prevHash,
      ids: records.map((r) => r.id),
      types: records.map((r) => r.type),
      ats: records.map((r) => r.at),
      payloads: records.map((r) => r.payload),
      sigs: records.map((r) => r.signature),
    }),
  );
};
const sent: { storeId: string; terminalId: string; payload: Buffer }[] = [];
for (let offset = 0; chains.some((c) => offset < c.length); offset += size)
  for (const c of chains) {
    const records = c.slice(offset, offset + size);
    if (records.length > 0)
      sent.push({
        storeId: records[0]!.storeId,
        terminalId: records[0]!.terminalId,
        payload: encode(records),
      });
  }
/** What create-upstream.ts decodeBatch does with a received batch. */
const decode = (payload: Buffer): IngestBatch => {
  const parsed = parseRecordBatch(decodeJson(payload, 4 * 1024 * 1024));
  if (!parsed.ok || parsed.batch.v !== 2)
    throw new Error(`bench batch did not decode: ${JSON.stringify(parsed)}`);
  const { storeId, terminalId } = parsed.batch;
  return { storeId, terminalId, ...recordsFromCompact(parsed.batch) };
};
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const prof = process.env.VT_PROF ? await startProfile() : undefined;
const cpu0 = process.cpuUsage();
const t = nowMs();
// The worker's own queue (upstream/ingest-queue.ts) as a PostgreSQL worker runs it, fed the whole
// backlog at once: calls of whole batches in arrival order, up to two at once on different terminals.
let ingested = 0;
let finished: () => void = () => {};
const allIn = new Promise<void>((resolve) => {
  finished = resolve;
});
const queue = new IngestQueue({
  decode: (_store, _terminal, payload) => decode(payload),
  ingest: (batches) => storage.ingest.ingest(batches),
  ingested: async (batches, results) => {
    const bad = results.find((r) => r.problem);
    if (bad) throw new Error(`bench ingest refused a batch: ${JSON.stringify(bad.problem)}`);
    ingested += batches.length;
    if (ingested === sent.length) finished();
  },
  maxBatches: perCall,
  maxBytes: 0,
  maxCalls: 2,
  gapGraceMs: 0,
  maxHeld: 0,
  heldRetryMs: 50,
  track: () => {},
  onError: (error) => {
    console.error(error);
    process.exit(1);
  },
});
for (const { storeId, terminalId, payload } of sent) queue.push(storeId, terminalId, payload);
await allIn;
const wall = nowMs() - t;
const cpu = process.cpuUsage(cpu0);
await prof?.();
process.stderr.write(
  `worker cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of ${wall.toFixed(0)} ms\n`,
);
process.stdout.write(`done ${wall}\n`);
await storage.close();
process.exit(0);

async function startProfile(): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`/tmp/prof/${process.pid}.cpuprofile`, JSON.stringify(profile));
  };
}
