/**
 * The reference upstream as its own process, for the restart test: startUpstream on a data
 * directory with its default client id (stable: host and data directory). Prints
 * "connected" on every connection; SIGTERM stops it gracefully (as systemd's restart does).
 * It prints "loaded" and waits for a line on stdin before it connects: the test loads the next
 * process while the previous one still runs, so a restart's downtime is the stop and the
 * connection, not tsx compiling under a loaded CI machine. Args: dataDir brokerUrl.
 */
import { once } from 'node:events';
import { createLogger } from '../../../terminal/logger.js';
import { startUpstream } from '../../../upstream/start-upstream.js';

const [dataDir, brokerUrl] = process.argv.slice(2) as [string, string];
process.stdout.write('loaded\n');
await once(process.stdin, 'data');
const started = await startUpstream({
  dataDir,
  logger: createLogger({ level: 'warn', destination: process.stderr }),
  options: { brokerUrl, protocol: '5' },
});
started.upstream.events.on('connected', () =>
  process.stdout.write(`connected ${started.upstream.options.clientId}\n`),
);
process.once('SIGTERM', () => {
  started.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
