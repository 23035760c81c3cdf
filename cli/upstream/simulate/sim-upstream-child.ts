/**
 * The reference upstream as its own process for the fleet simulator (so its CPU is its own):
 * startUpstream on a data directory with the fleet enrolled (terminals.json) and the enforcement
 * feed on a free port. Reports `ready` (with the feed's URL) once connected, the records it
 * ingested every second, and on `audit` what it stored per terminal. Args: dataDir brokerUrl
 * tokenFile.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../terminal/logger.js';
import { startUpstream } from '../../../upstream/start-upstream.js';

const [dataDir, brokerUrl, tokenFile] = process.argv.slice(2) as [string, string, string];
const send = (message: unknown) => process.send?.(message);

const started = await startUpstream({
  dataDir,
  logger: createLogger({ level: process.env.VERITERM_SIM_LOG ?? 'error', destination: process.stderr }),
  options: { brokerUrl, protocol: '5' },
  feed: { port: 0, tokenFile },
});
let records = 0;
started.upstream.events.on('ingested', (result) => {
  records += result.accepted.length;
});
const announce = () => send({ type: 'ready', feedUrl: started.feedUrl });
if (started.upstream.connected()) announce();
else started.upstream.events.once('connected', announce);
const ticker = setInterval(() => send({ type: 'ingested', records, atMs: Date.now() }), 1000);

process.on('message', (message: { type: string; terminals?: { storeId: string; terminalId: string }[] }) => {
  if (message.type === 'audit') {
    const db = started.upstream.store.db;
    const stored = db
      .prepare(
        `SELECT (SELECT IFNULL(SUM(last_seq - first_seq + 1), 0) FROM up_record_batches)
              + (SELECT COUNT(*) FROM up_record_rows) AS n`,
      )
      .get() as { n: number };
    // Database bytes (file + WAL after a checkpoint) for the bytes-per-record figure.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const size = (name: string) => statSync(join(dataDir, name), { throwIfNoEntry: false })?.size ?? 0;
    send({
      type: 'audit',
      storedRecords: stored.n,
      dbBytes: size('upstream.db') + size('upstream.db-wal'),
      lastSeqs: (message.terminals ?? []).map((t) => started.upstream.store.lastSeq(t.storeId, t.terminalId)),
      sequencesInOrder: (message.terminals ?? []).slice(0, 50).every((t) => {
        const seqs = started.upstream.store.sequences(t.storeId, t.terminalId);
        return seqs.every((s, i) => s === i + 1);
      }),
    });
  } else if (message.type === 'stop') {
    clearInterval(ticker);
    started.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
