/**
 * One `veriterm upstream` worker on PostgreSQL as its own process, for the failover test:
 * startUpstream with `database`, a client id of its own and the shared-subscription group. Prints
 * "loaded", waits for a line on stdin (so the test can load it while tsx compiles, and start it
 * at once later), then "connected ID" and "publishing ID" / "not-publishing ID" whenever it takes
 * or loses the publisher lease. Args: dataDir brokerUrl databaseUrl clientId.
 */
import { once } from 'node:events';
import { createLogger } from '../../../terminal/logger.js';
import { startUpstream } from '../../../upstream/start-upstream.js';

const [dataDir, brokerUrl, database, clientId] = process.argv.slice(2) as [string, string, string, string];
process.stdout.write('loaded\n');
await once(process.stdin, 'data');
const started = await startUpstream({
  dataDir,
  database,
  logger: createLogger({ level: 'warn', destination: process.stderr }),
  options: { brokerUrl, protocol: '5', clientId, deltaDebounceMs: 20 },
});
started.upstream.events.on('connected', () => process.stdout.write(`connected ${clientId}\n`));
if (started.upstream.connected()) process.stdout.write(`connected ${clientId}\n`);
// One line per ingested batch (what the test prints when a run fails).
started.upstream.events.on('ingested', (r) =>
  process.stdout.write(
    `ingested ${r.terminalId} ack ${r.ackSeq} +${r.accepted.length} ${r.problem?.code ?? ''}\n`,
  ),
);
let publishing = false;
setInterval(() => {
  const now = started.upstream.publishing();
  if (now !== publishing) process.stdout.write(`${now ? 'publishing' : 'not-publishing'} ${clientId}\n`);
  publishing = now;
}, 50);
process.once('SIGTERM', () => {
  started.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
