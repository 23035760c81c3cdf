import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { openDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import { silentLogger } from '../../terminal/logger.js';
import { createSync } from '../../terminal/sync/create-sync.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { startTcpProxy } from '../integration/sync/tcp-proxy.js';
import { nowMs, report, scaled } from './lib.js';

const BENCH = 'sync';
const here = dirname(fileURLToPath(import.meta.url));

/** A realistic record payload: a write-off line. */
const payload = (i: number) => ({
  codeKey: `0106901234567892215${String(i).padStart(8, '0')}`,
  saleId: `sale-${i >> 3}`,
  line: i & 7,
});

/**
 * Keeps up to `window` QoS 1 publishes in flight (packet ids are 16 bits, so "all at once" is not
 * possible for 100,000 messages) and resolves when every PUBACK is back.
 */
async function publishWindowed(client: mqtt.MqttClient, records: string[], window = 4096): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const r = records[next++]!;
      await client.publishAsync('vt/bench/raw/records', r, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, records.length) }, worker));
}

/**
 * CPU time (ms) the mosquitto started with `configFile` has used so far, from /proc (Linux; clock
 * ticks of 10 ms); NaN where /proc is not there.
 */
function brokerCpuMs(configFile: string): number {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.startsWith('mosquitto\0') || !cmdline.includes(configFile)) continue;
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    }
  } catch {
    // no /proc
  }
  return Number.NaN;
}

/** mqtt.js publishing one QoS 1 message per record, all in flight at once, until every PUBACK is back. */
async function rawRate(url: string, records: string[]): Promise<number> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
  const start = nowMs();
  await publishWindowed(client, records);
  const ms = nowMs() - start;
  await client.endAsync();
  return (records.length * 1000) / ms;
}

/** Bytes the raw publisher puts on the wire per record (through a counting proxy, on a sample). */
async function rawBytes(port: number, records: string[]): Promise<number> {
  const proxy = await startTcpProxy(port);
  const client = await mqtt.connectAsync(proxy.url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
  const before = proxy.bytesUp();
  await publishWindowed(client, records);
  const bytes = proxy.bytesUp() - before;
  await client.endAsync();
  await proxy.close();
  return bytes / records.length;
}

export async function run(): Promise<void> {
  const n = scaled(100_000);
  const tmp = makeTempDir('vt-bench-sync-');
  const broker = await startMosquitto({ dir: tmp.dir, persistence: false });
  try {
    // The terminal's backlog: n signed, chained records queued while offline.
    const keys = generateKeyPairSync('ed25519');
    const db = openDatabase(join(tmp.dir, 'terminal.db'));
    const ledger = new Ledger({
      db,
      identity: identityFromPrivateKey(keys.privateKey),
      storeId: 'store-a',
      terminalId: 't1',
    });
    let t = nowMs();
    ledger.transaction(() => {
      for (let i = 0; i < n; i++) ledger.append('receipt_printed', payload(i));
    });
    report(BENCH, 'backlog_build', nowMs() - t, 'ms');

    // Raw baseline on the same broker with the same record bytes.
    const sample = ledger.pending(0, n).map((r) => JSON.stringify(r));
    const brokerConf = join(tmp.dir, `mosquitto-${broker.port}.conf`);
    let brokerCpu0 = brokerCpuMs(brokerConf);
    const rawCpu0 = process.cpuUsage();
    const raw = { perSecond: await rawRate(broker.url, sample) };
    const rawCpu = process.cpuUsage(rawCpu0);
    const rawBrokerMs = brokerCpuMs(brokerConf) - brokerCpu0;
    report(BENCH, 'raw_mqttjs_qos1_rate', Math.round(raw.perSecond), 'msg/s');
    report(
      BENCH,
      'raw_bytes_per_record',
      Math.round(await rawBytes(broker.port, sample.slice(0, 5000))),
      'B',
    );

    // Reference upstream in a child process: verifies chains (and the tip signature of each
    // batch), stores, acks.
    const child = spawn(
      process.execPath,
      [
        // `node --cpu-prof --cpu-prof-dir=D bin/bench.js sync` profiles the upstream child too.
        ...process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
        '--import',
        'tsx',
        join(here, 'sync-upstream-child.ts'),
        broker.url,
        tmp.dir,
        'store-a',
        't1',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          VT_BENCH_TERMINAL_KEY: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        },
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`upstream child exited with ${code}`)));
    });

    // Bytes on the wire are counted on the terminal's own socket (status().bytesSent).
    const sync = createSync(
      { outbox: ledger, db, logger: silentLogger(), stagingDir: join(tmp.dir, 'staging') },
      {
        brokerUrl: broker.url,
        storeId: 'store-a',
        terminalId: 't1',
        protocol: '5',
        drain: {
          // Experiments: VT_BENCH_COMPRESS (0 never, 1 always; default 'auto'), VT_BENCH_BATCH_BYTES,
          // VT_BENCH_IN_FLIGHT override the defaults.
          ...(process.env.VT_BENCH_COMPRESS ? { compress: process.env.VT_BENCH_COMPRESS !== '0' } : {}),
          ...(process.env.VT_BENCH_BATCH_BYTES
            ? { maxBatchBytes: Number(process.env.VT_BENCH_BATCH_BYTES) }
            : {}),
          ...(process.env.VT_BENCH_IN_FLIGHT
            ? { maxInFlightBatches: Number(process.env.VT_BENCH_IN_FLIGHT) }
            : {}),
        },
      },
    );
    const done = new Promise<void>((resolve) => {
      sync.events.on('acked', (seq) => {
        if (seq >= n) resolve();
      });
    });
    // Timed from the moment the terminal is connected, as the raw publisher is (rawRate starts its
    // clock once connectAsync has resolved); the connection itself is reported on its own.
    let connectedAt = Number.NaN;
    sync.events.once('connected', () => {
      connectedAt = nowMs();
    });
    t = nowMs();
    brokerCpu0 = brokerCpuMs(brokerConf);
    const cpu0 = process.cpuUsage();
    await sync.start();
    await done;
    const ms = nowMs() - connectedAt;
    const cpu = process.cpuUsage(cpu0);
    const drainBrokerMs = brokerCpuMs(brokerConf) - brokerCpu0;
    const rate = (n * 1000) / ms;
    report(BENCH, 'drain_records', n, 'records');
    report(BENCH, 'drain_connect', connectedAt - t, 'ms');
    report(BENCH, 'drain_until_acked', Math.round(ms), 'ms (from connected)');
    report(BENCH, 'drain_rate', Math.round(rate), 'records/s');
    report(BENCH, 'drain_vs_raw', rate / raw.perSecond, 'x (goal >= 2)');
    report(BENCH, 'drain_bytes_per_record', sync.status().bytesSent / n, 'B');
    await sync.stop();
    let childCpuMs = Number.NaN;
    let childMainCpuMs = Number.NaN;
    child.stdout.on('data', (d: Buffer) => {
      const m = /cpu ([\d.]+) main ([\d.]+)/.exec(d.toString());
      if (m) [childCpuMs, childMainCpuMs] = [Number(m[1]), Number(m[2])];
    });
    child.kill('SIGTERM');
    await once(child, 'exit');
    // CPU per 1,000 records on each side .
    report(BENCH, 'terminal_cpu_per_1k_records', ((cpu.user + cpu.system) / 1000 / n) * 1000, 'ms');
    report(BENCH, 'upstream_cpu_per_1k_records', (childCpuMs / n) * 1000, 'ms');
    // Its event loop alone: what bounds its ingest rate (the rest is its writer thread).
    report(BENCH, 'upstream_event_loop_cpu_per_1k_records', (childMainCpuMs / n) * 1000, 'ms');
    // The same comparison in CPU time, which other work on the machine disturbs less than rates:
    // everything each way costs per record, broker included (the raw publisher has no upstream).
    const drainBroker = (drainBrokerMs / n) * 1000;
    const rawClient = ((rawCpu.user + rawCpu.system) / 1000 / n) * 1000;
    const rawBroker = (rawBrokerMs / n) * 1000;
    const drainTotal = ((cpu.user + cpu.system) / 1000 / n) * 1000 + (childCpuMs / n) * 1000 + drainBroker;
    report(BENCH, 'drain_broker_cpu_per_1k_records', drainBroker, 'ms');
    report(BENCH, 'raw_client_cpu_per_1k_msgs', rawClient, 'ms');
    report(BENCH, 'raw_broker_cpu_per_1k_msgs', rawBroker, 'ms');
    report(BENCH, 'drain_total_cpu_per_1k_records', drainTotal, 'ms');
    report(BENCH, 'raw_total_cpu_per_1k_msgs', rawClient + rawBroker, 'ms');
    report(
      BENCH,
      'cpu_raw_vs_drain',
      (rawClient + rawBroker) / drainTotal,
      'x (raw CPU per message / drain CPU per record)',
    );
    const upDb = openDatabase(join(tmp.dir, 'upstream.db'), { readonly: true });
    const stored = (upDb.prepare('SELECT COUNT(*) AS c FROM up_records').get() as { c: number }).c;
    upDb.close();
    if (stored !== n || ledger.stats().pending !== 0)
      throw new Error(`bench: upstream stored ${stored} of ${n}`);
    db.close();
  } finally {
    await broker.stop();
    tmp.cleanup();
  }
}
