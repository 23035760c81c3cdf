/**
 * The reference upstream as its own process for the fleet simulator (so its CPU is its own):
 * startUpstream on a data directory with the fleet enrolled (terminals.json) and the enforcement
 * feed on a free port. Reports `ready` (with the feed's URL) once connected, the records it
 * ingested every second, and on `audit` what it stored per terminal. Args: dataDir brokerUrl
 * tokenFile [databaseUrl clientId]: with a database, one of several workers on PostgreSQL sharing
 * the data directory (each its own broker client id, the ingest topics shared).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../../terminal/db/open-database.js';
import { createLogger } from '../../../terminal/logger.js';
import { startUpstream } from '../../../upstream/start-upstream.js';
import type { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { SIM_SCOPE } from './sim-kiosk.js';
import { SIM_UPSTREAM_OPTIONS, type UpstreamTick } from './sim-protocol.js';

const [dataDir, brokerUrl, tokenFile, database, clientId] = process.argv.slice(2) as [
  string,
  string,
  string,
  string | undefined,
  string | undefined,
];
const send = (message: unknown) => process.send?.(message);

// Upstream options the run sets (sim-upstreams.ts writes them beside the registry).
const optionsFile = join(dataDir, SIM_UPSTREAM_OPTIONS);
const extra = existsSync(optionsFile)
  ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as { minDeltaIntervalMs?: number })
  : {};
const started = await startUpstream({
  dataDir,
  logger: createLogger({ level: process.env.VERITERM_SIM_LOG ?? 'error', destination: process.stderr }),
  options: { brokerUrl, protocol: '5', ...(clientId ? { clientId } : {}), ...extra },
  feed: { port: 0, tokenFile },
  database,
});
let records = 0;
started.upstream.events.on('ingested', (result) => {
  records += result.accepted.length;
});
const announce = () => send({ type: 'ready', feedUrl: started.feedUrl });
if (started.upstream.connected()) announce();
else started.upstream.events.once('connected', announce);
const ticker = setInterval(() => {
  const { publisher } = started.upstream;
  void publisher.current(SIM_SCOPE).then(
    (ann) =>
      send({
        type: 'ingested',
        records,
        atMs: Date.now(),
        deltas: publisher.built.deltas,
        snapshots: publisher.built.snapshots,
        version: ann?.version ?? 0,
      } satisfies UpstreamTick),
    () => undefined,
  );
}, 1000);

process.on('message', (message: { type: string; terminals?: { storeId: string; terminalId: string }[] }) => {
  if (message.type === 'audit') {
    audit(message.terminals ?? []).then(send, (error: unknown) =>
      send({ type: 'audit-failed', message: String(error) }),
    );
  } else if (message.type === 'stop') {
    clearInterval(ticker);
    started.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});

/** What upstream stored: records, bytes on disk per engine, each terminal's head, order of a sample. */
async function audit(terminals: { storeId: string; terminalId: string }[]) {
  const ingest = started.upstream.storage.ingest;
  let storedRecords: number;
  let dbBytes: number;
  if (started.upstream.storage.engine === 'postgres') {
    const { pool } = started.upstream.storage as PostgresUpstreamStorage;
    await pool.query('VACUUM (ANALYZE) up_records');
    const { rows } = await pool.query<{ n: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM up_records) AS n,
         (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
          JOIN pg_namespace ns ON ns.oid = c.relnamespace
          WHERE ns.nspname = 'public' AND c.relkind = 'r') AS bytes`,
    );
    storedRecords = Number(rows[0]!.n);
    dbBytes = Number(rows[0]!.bytes);
  } else {
    // The SQLite engine's upstream (no --db) carries its IngestStore.
    const db = (started.upstream as unknown as { store: { db: SqliteDatabase } }).store.db;
    const stored = db
      .prepare(
        `SELECT (SELECT IFNULL(SUM(last_seq - first_seq + 1), 0) FROM up_record_batches)
              + (SELECT COUNT(*) FROM up_record_rows) AS n`,
      )
      .get() as { n: number };
    // Database bytes (file + WAL after a checkpoint) for the bytes-per-record figure.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const size = (name: string) => statSync(join(dataDir, name), { throwIfNoEntry: false })?.size ?? 0;
    storedRecords = stored.n;
    dbBytes = size('upstream.db') + size('upstream.db-wal');
  }
  const lastSeqs: number[] = [];
  for (const t of terminals) lastSeqs.push(await ingest.lastSeq(t.storeId, t.terminalId));
  let sequencesInOrder = true;
  for (const t of terminals.slice(0, 50)) {
    const seqs = await ingest.sequences(t.storeId, t.terminalId);
    if (!seqs.every((s, i) => s === i + 1)) sequencesInOrder = false;
  }
  return { type: 'audit', storedRecords, dbBytes, lastSeqs, sequencesInOrder };
}
