/**
 * The reference upstream in its own process for the sync bench (upstream runs on another machine
 * in production; here it gets the second core). Args: brokerUrl dataDir storeId terminalId;
 * the terminal's public key PEM in env VT_BENCH_TERMINAL_KEY. Prints "ready" once subscribed.
 */
import { join } from 'node:path';
import { openDatabase } from '../../terminal/db/open-database.js';
import { silentLogger } from '../../terminal/logger.js';
import { createUpstream } from '../../upstream/create-upstream.js';
import { mainThreadCpuMs } from './lib.js';

const [brokerUrl, dataDir, storeId, terminalId] = process.argv.slice(2) as [string, string, string, string];
const db = openDatabase(join(dataDir, 'upstream.db'));
const upstream = createUpstream(
  { db, logger: silentLogger(), releasesDir: join(dataDir, 'releases') },
  { brokerUrl, rescanMs: 600_000 },
);
upstream.store.enrol(storeId, terminalId, process.env.VT_BENCH_TERMINAL_KEY ?? '');
let cpuAtReady = process.cpuUsage();
let mainCpuAtReady = mainThreadCpuMs();
upstream.events.once('connected', () => {
  cpuAtReady = process.cpuUsage();
  mainCpuAtReady = mainThreadCpuMs();
  process.stdout.write('ready\n');
});
await upstream.start();
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpuAtReady);
  process.stdout.write(`cpu ${(cpu.user + cpu.system) / 1000} main ${mainThreadCpuMs() - mainCpuAtReady}\n`);
  upstream
    .stop()
    .then(() => db.close())
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
