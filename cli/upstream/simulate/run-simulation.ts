import { type ChildProcess, fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../terminal/logger.js';
import { startSimBroker } from './sim-broker.js';
import { SIM_SCOPE, SimKiosk, simRegistryCode, writeSimRegistry } from './sim-kiosk.js';
import { backendCpuMs, databaseName, procCpuMs } from './sim-proc-cpu.js';
import {
  type FromTerminals,
  SIM_UPSTREAM_OPTIONS,
  seededRandom,
  type TerminalHead,
  type ToTerminals,
  type UpstreamTick,
} from './sim-protocol.js';
import { percentiles, type SimulationReport } from './sim-report.js';
import type { SimTerminalSpec } from './sim-terminal.js';

export interface SimulationOptions {
  terminals: number;
  stores: number;
  /** Sales per second across the fleet. */
  salesPerSecond: number;
  durationS: number;
  /** Units per sale: a sale is 1 + lines records. @default 10 */
  lines?: number;
  /** Terminal processes. @default one per 250 terminals, at least 1, at most 4 */
  processes?: number;
  /** Share of terminals whose link drops once for 2-10 s during the run. @default 0.1 */
  dropShare?: number;
  /** Codes each sold at two stores (one after the other, 0.5 s apart). @default 5 */
  clones?: number;
  seed?: number;
  /**
   * A PostgreSQL database (`postgres://…`) for the upstream instead of its SQLite file: an empty
   * scratch database (the simulator enrols its fleet there; one already holding records is refused).
   */
  database?: string;
  /** Upstream worker processes (PostgreSQL only: shared subscriptions, one publisher). @default 1 */
  workers?: number;
  /**
   * Register every code the fleet sells in the scope (sim-kiosk.ts), so each sale is a unit of
   * the scope and goes into its next delta: the busy-scope case. @default false (only the
   * watched clone codes are registered)
   */
  registerSoldCodes?: boolean;
  /** The upstream's `minDeltaIntervalMs`. @default the upstream's (options.ts) */
  minDeltaIntervalMs?: number;
  /** Progress lines (one per few seconds). */
  progress?: (line: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Forks a sibling module: the .ts source under tsx (tests, `npx tsx`), the compiled .js otherwise. */
function forkSibling(name: string, args: string[]): ChildProcess & { stderrTail: () => string } {
  const fromSource = import.meta.url.endsWith('.ts');
  const child = fork(join(here, `${name}${fromSource ? '.ts' : '.js'}`), args, {
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  return Object.assign(child, { stderrTail: () => tail });
}

function nextMessage<T extends { type: string }>(
  child: ChildProcess & { stderrTail: () => string },
  type: T['type'],
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`no '${type}' from a simulation process within ${timeoutMs} ms: ${child.stderrTail()}`),
      );
    }, timeoutMs);
    const onMessage = (m: T) => {
      if (m.type !== type) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`a simulation process exited (${code}) before '${type}': ${child.stderrTail()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the fleet simulation end to end on this machine: a spawned mosquitto, the reference
 * upstream in its own process (SQLite, enforcement feed on), and `terminals` lightweight terminals
 * (sim-terminal.ts) in a few processes selling at `salesPerSecond`; a share drop and reconnect; a
 * few codes are sold at two stores. Resolves with the figures once every record is acknowledged.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const lines = options.lines ?? 10;
  const processes = options.processes ?? Math.min(4, Math.max(1, Math.ceil(options.terminals / 250)));
  const seed = options.seed ?? Date.now() % 1_000_000;
  const random = seededRandom(seed);
  const durationMs = options.durationS * 1000;
  const progress = options.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'vt-simulate-'));
  const children: (ChildProcess & { stderrTail: () => string })[] = [];
  const broker = await startSimBroker(dir);
  try {
    // The fleet: terminal i at store i mod stores, each its own key, enrolled upstream.
    const fleet: (SimTerminalSpec & { index: number; publicKeyPem: string })[] = [];
    for (let index = 0; index < options.terminals; index++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      fleet.push({
        index,
        storeId: `store-${String(index % options.stores).padStart(5, '0')}`,
        terminalId: `till-${String(index).padStart(5, '0')}`,
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      });
    }
    const drops = fleet
      .filter(() => random() < (options.dropShare ?? 0.1))
      .map((t) => ({
        index: t.index,
        atMs: Math.round(durationMs * (0.1 + 0.6 * random())),
        forMs: Math.round(2000 + 8000 * random()),
      }));
    // Clone pairs: a registered code sold at store X, seen as already_sold by the kiosk at
    // store Y, then sold at Y too. From terminals that stay connected: the latencies measured are
    // propagation's and detection's, not an outage's.
    const clonesPlanned = options.clones ?? 5;
    const dropped = new Set(drops.map((d) => d.index));
    const steady = fleet.filter((t) => !dropped.has(t.index));
    const pick = () => steady[Math.floor(random() * steady.length)] ?? fleet[0]!;
    const pairs = Array.from({ length: clonesPlanned }, (_, k) => {
      const x = pick();
      let y = pick();
      for (let tries = 0; tries < 1000 && y.storeId === x.storeId; tries++) y = pick();
      return { code: simRegistryCode(k), x, y };
    });
    const kioskStores = [...new Set(pairs.map((p) => p.y.storeId))];
    const kioskKeys = kioskStores.map((storeId) => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return {
        storeId,
        terminalId: 'kiosk-1',
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      };
    });
    const dataDir = join(dir, 'upstream');
    mkdirSync(dataDir);
    // Each terminal's serials: its expected sales plus five standard deviations, times the lines.
    const salesEach = (options.salesPerSecond * options.durationS) / options.terminals;
    const fleetCodes = options.registerSoldCodes
      ? {
          terminals: options.terminals,
          serialsPerTerminal: Math.ceil(salesEach + 5 * Math.sqrt(salesEach) + 5) * lines,
        }
      : undefined;
    const root = await writeSimRegistry(
      dataDir,
      pairs.map((p) => p.code),
      fleetCodes,
    );
    const registeredUnits =
      pairs.length + (fleetCodes ? fleetCodes.terminals * fleetCodes.serialsPerTerminal : 0);
    if (options.minDeltaIntervalMs !== undefined)
      writeFileSync(
        join(dataDir, SIM_UPSTREAM_OPTIONS),
        JSON.stringify({ minDeltaIntervalMs: options.minDeltaIntervalMs }),
      );
    progress(`simulate: ${registeredUnits} units registered in scope ${SIM_SCOPE}`);
    writeFileSync(
      join(dataDir, 'terminals.json'),
      JSON.stringify(
        [...fleet, ...kioskKeys].map((t) => ({
          storeId: t.storeId,
          terminalId: t.terminalId,
          publicKey: t.publicKeyPem,
        })),
      ),
    );
    const token = Buffer.from(
      generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }),
    )
      .toString('hex')
      .slice(-64);
    writeFileSync(join(dir, 'feed-token'), `${token}\n`, { mode: 0o600 });

    const workerCount = options.database === undefined ? 1 : (options.workers ?? 1);
    if (options.database !== undefined) await refuseUsedDatabase(options.database);
    // Several workers share the data directory (registry, command key, the SQLite file of their
    // delivery log) and the database; each its own broker client id. Started one after the other:
    // the first creates the files. The first is asked for the audit and serves the feed polled.
    const upstreams: (ChildProcess & { stderrTail: () => string })[] = [];
    let feedUrl = '';
    for (let i = 0; i < workerCount; i++) {
      const u = forkSibling('sim-upstream-child', [
        dataDir,
        broker.url,
        join(dir, 'feed-token'),
        ...(options.database === undefined ? [] : [options.database, `vt-sim-upstream-${i}`]),
      ]);
      children.push(u);
      upstreams.push(u);
      const ready = await nextMessage<{ type: 'ready'; feedUrl: string }>(u, 'ready', 120_000);
      if (i === 0) feedUrl = ready.feedUrl;
    }
    const upstream = upstreams[0]!;
    const kiosks = new Map(
      kioskKeys.map((k) => [
        k.storeId,
        new SimKiosk(
          { ...k, brokerUrl: broker.url, dir: join(dir, 'kiosks', k.storeId), root },
          silentLogger(),
        ),
      ]),
    );
    await Promise.all([...kiosks.values()].map((k) => k.start()));
    const kioskDeadline = Date.now() + 120_000;
    while ([...kiosks.values()].some((k) => k.version() === undefined) && Date.now() < kioskDeadline)
      await sleep(100);
    progress(`simulate: ${kiosks.size} kiosks hold the registry`);
    // Each worker counts what it stored; the rate is the sum of the workers' rates.
    const ingestedBy = upstreams.map(() => [] as UpstreamTick[]);
    upstreams.forEach((u, i) => {
      u.on('message', (m: UpstreamTick) => {
        if (m.type === 'ingested') ingestedBy[i]!.push(m);
      });
    });
    const ingestedSoFar = () => ingestedBy.reduce((n, samples) => n + (samples.at(-1)?.records ?? 0), 0);
    const upstreamCpuMs = () => {
      const each = upstreams.map((u) => procCpuMs(u.pid));
      return each.some((v) => v === undefined) ? undefined : each.reduce((a, b) => a! + b!, 0);
    };

    // Terminal processes, each with a slice of the fleet and its share of the rate.
    const workers = Array.from({ length: processes }, () => forkSibling('sim-terminals-child', []));
    children.push(...workers);
    const workerOf = (index: number) => workers[index % processes]!;
    const readyAll = workers.map((w) =>
      nextMessage<{ type: 'ready'; connected: number }>(w, 'ready', 180_000),
    );
    workers.forEach((w, p) => {
      const mine = fleet.filter((t) => t.index % processes === p);
      w.send({
        type: 'init',
        brokerUrl: broker.url,
        terminals: mine.map(({ publicKeyPem: _public, ...spec }) => spec),
        salesPerSecond: (options.salesPerSecond * mine.length) / options.terminals,
        lines,
        drops: drops.filter((d) => d.index % processes === p),
        seed: seed + p,
      } satisfies ToTerminals);
    });
    const connected = (await Promise.all(readyAll)).reduce((n, r) => n + r.connected, 0);
    progress(`simulate: ${connected}/${options.terminals} terminals connected in ${processes} processes`);

    const cloneSigned = new Map<string, number>();
    const alreadySold: number[] = [];
    const cloneTimers: NodeJS.Timeout[] = [];
    const sold = new Map<string, (m: { signedMs: number }) => void>();
    for (const w of workers)
      w.on('message', (m: FromTerminals) => {
        if (m.type === 'sold') sold.get(m.tag)?.(m);
      });
    const sellVia = (index: number, code: string, tag: string) =>
      new Promise<{ signedMs: number }>((resolve, reject) => {
        const worker = workerOf(index);
        if (!worker.connected) return reject(new Error('terminal process already finished'));
        sold.set(tag, resolve);
        worker.send({ type: 'sell', index, codes: [code], tag } satisfies ToTerminals);
      });
    // Clone flows still running (watching a kiosk): the fleet is not finished under them.
    const flows = new Set<Promise<unknown>>();

    const dbName = options.database === undefined ? undefined : databaseName(options.database);
    const dbCpuStart = dbName === undefined ? undefined : backendCpuMs(dbName);
    const cpuStart = { broker: procCpuMs(broker.pid), upstream: upstreamCpuMs() };
    const startedMs = Date.now();
    for (const w of workers) w.send({ type: 'start' } satisfies ToTerminals);
    pairs.forEach((pair, k) => {
      const atMs = durationMs * (0.2 + (0.6 * k) / Math.max(1, pairs.length));
      cloneTimers.push(
        setTimeout(() => {
          const flow = sellVia(pair.x.index, pair.code, `${pair.code}-x`)
            .then(async ({ signedMs }) => {
              // A shopper at store Y scans the pack: how soon does the kiosk there say already_sold?
              const kiosk = kiosks.get(pair.y.storeId)!;
              const until = Date.now() + 60_000;
              while (kiosk.verdict(pair.code) !== 'already_sold' && Date.now() < until) await sleep(20);
              if (kiosk.verdict(pair.code) === 'already_sold') alreadySold.push(Date.now() - signedMs);
            })
            .then(() => sellVia(pair.y.index, pair.code, `${pair.code}-y`))
            .then(({ signedMs }) => cloneSigned.set(pair.code, signedMs))
            .catch(() => undefined);
          flows.add(flow);
          void flow.finally(() => flows.delete(flow));
        }, atMs),
      );
    });

    // The clone alerts, as a brand-protection team would read them: the HTTP feed.
    const cloneAlerted = new Map<string, number>();
    let cursor = 0;
    const pollFeed = async () => {
      const res = await fetch(`${feedUrl}/v1/alerts?kind=clone&source=upstream&after=${cursor}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as {
        data: { alerts: { id: number; codes: string[]; detectedAt: string }[]; next: number | null };
      };
      for (const alert of body.data.alerts) {
        cursor = Math.max(cursor, alert.id);
        for (const code of alert.codes) cloneAlerted.set(code, Date.parse(alert.detectedAt));
      }
    };
    const feedTimer = setInterval(() => {
      pollFeed().catch(() => undefined);
    }, 250);

    let lastReport = Date.now();
    while (Date.now() - startedMs < durationMs) {
      await sleep(250);
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        progress(
          `simulate: ${Math.round((Date.now() - startedMs) / 1000)} s, ${ingestedSoFar()} records ingested, ${cloneAlerted.size}/${clonesPlanned} clones alerted`,
        );
      }
    }
    for (const w of workers) w.send({ type: 'stopSales' } satisfies ToTerminals);
    const salesEndMs = Date.now();
    const cpuEnd = { broker: procCpuMs(broker.pid), upstream: upstreamCpuMs() };
    const dbCpuEnd = dbName === undefined ? undefined : backendCpuMs(dbName);
    // Clone pairs not started yet are dropped; those started finish (each watch is bounded).
    for (const t of cloneTimers) clearTimeout(t);
    await Promise.all([...flows]);
    const reports = await Promise.all(
      workers.map((w) => {
        const report = nextMessage<Extract<FromTerminals, { type: 'report' }>>(w, 'report', 180_000);
        w.send({ type: 'finish', timeoutMs: 120_000 } satisfies ToTerminals);
        return report;
      }),
    );
    const cloneDeadline = Date.now() + 10_000;
    while (cloneAlerted.size < cloneSigned.size && Date.now() < cloneDeadline) {
      await pollFeed().catch(() => undefined);
      await sleep(250);
    }
    clearInterval(feedTimer);

    const heads: TerminalHead[] = reports.flatMap((r) => r.heads);
    const audit = nextMessage<{
      type: 'audit';
      storedRecords: number;
      dbBytes: number;
      lastSeqs: number[];
      sequencesInOrder: boolean;
    }>(upstream, 'audit', 60_000);
    upstream.send({
      type: 'audit',
      terminals: heads.map((h) => ({ storeId: h.storeId, terminalId: h.terminalId })),
    });
    const { storedRecords, lastSeqs, dbBytes, sequencesInOrder } = await audit;
    const records = heads.reduce((n, h) => n + h.head, 0);
    // Lost: acknowledged to a terminal (so gone from its outbox) but not stored upstream.
    const lost = heads.reduce(
      (n, h, i) => n + Math.max(0, Math.min(h.acked, h.head) - (lastSeqs[i] ?? 0)),
      0,
    );
    const unacknowledged = heads.reduce((n, h) => n + (h.head - h.acked), 0);

    // Ingest rate over the selling window (the upstream process counts what it stored).
    const ingestRecordsPerSecond = ingestedBy.reduce((sum, samples) => {
      const inWindow = samples.filter((s) => s.atMs >= startedMs && s.atMs <= salesEndMs);
      const first = inWindow[0];
      const last = inWindow.at(-1);
      return (
        sum +
        (first && last && last.atMs > first.atMs
          ? ((last.records - first.records) * 1000) / (last.atMs - first.atMs)
          : 0)
      );
    }, 0);
    const windowMs = salesEndMs - startedMs;
    // Versions and snapshots made while selling, by whichever worker published (the lease holder).
    const registryTicks = ingestedBy.map((samples) => {
      const inWindow = samples.filter((t) => t.atMs >= startedMs && t.atMs <= salesEndMs);
      const first = inWindow[0];
      const last = inWindow.at(-1);
      return first && last && last.atMs > first.atMs
        ? {
            versions: last.deltas - first.deltas,
            snapshots: last.snapshots - first.snapshots,
            perSecond: ((last.deltas - first.deltas) * 1000) / (last.atMs - first.atMs),
          }
        : { versions: 0, snapshots: 0, perSecond: 0 };
    });
    const lastVersion = Math.max(0, ...ingestedBy.map((samples) => samples.at(-1)?.version ?? 0));
    const share = (end: number | undefined, start: number | undefined) =>
      end !== undefined && start !== undefined ? (end - start) / windowMs : Number.NaN;
    const cloneLatencies = [...cloneSigned].flatMap(([code, signedMs]) => {
      const at = cloneAlerted.get(code);
      return at === undefined ? [] : [Math.max(0, at - signedMs)];
    });

    await Promise.all([...kiosks.values()].map((k) => k.stop()));
    for (const u of upstreams) u.send({ type: 'stop' });
    await Promise.race([Promise.all(upstreams.map((u) => once(u, 'exit'))), sleep(15_000)]);
    return {
      terminals: options.terminals,
      stores: options.stores,
      processes,
      engine: options.database === undefined ? 'sqlite' : 'postgres',
      workers: workerCount,
      recordsPerWorker: ingestedBy.map((samples) => samples.at(-1)?.records ?? 0),
      seed,
      sales: reports.reduce((n, r) => n + r.sales, 0),
      records,
      ingestRecordsPerSecond: Math.round(ingestRecordsPerSecond),
      lagOnlineMs: percentiles(reports.flatMap((r) => r.lagsOnline)),
      lagOfflineMs: percentiles(reports.flatMap((r) => r.lagsOffline)),
      drops: reports.reduce((n, r) => n + r.drops, 0),
      lost,
      unacknowledged,
      duplicated: Math.max(0, storedRecords - records),
      outOfOrder: !sequencesInOrder,
      dbBytesPerRecord: records > 0 ? Math.round(dbBytes / records) : 0,
      clonesPlanned,
      clonesAlerted: cloneLatencies.length,
      cloneAlertMs: percentiles(cloneLatencies),
      alreadySoldMs: percentiles(alreadySold),
      registeredUnits,
      registry: {
        versionsPerSecond: Math.round(100 * registryTicks.reduce((n, t) => n + t.perSecond, 0)) / 100,
        versions: registryTicks.reduce((n, t) => n + t.versions, 0),
        snapshots: registryTicks.reduce((n, t) => n + t.snapshots, 0),
        lastVersion,
      },
      cpu: {
        broker: share(cpuEnd.broker, cpuStart.broker),
        upstream: share(cpuEnd.upstream, cpuStart.upstream),
        // Terminal processes report their whole run (connect included): an upper bound.
        terminals: reports.reduce((n, r) => n + r.cpuMs, 0) / windowMs,
        ...(dbCpuStart && dbCpuEnd
          ? {
              database:
                [...dbCpuEnd].reduce((n, [pid, ms]) => n + ms - (dbCpuStart.get(pid) ?? 0), 0) / windowMs,
            }
          : {}),
      },
      durationS: options.durationS,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The simulator enrols its own fleet: a database already holding records is someone's, not a scratch one. */
async function refuseUsedDatabase(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ used: boolean }>(
      "SELECT to_regclass('up_records') IS NOT NULL AND EXISTS (SELECT 1 FROM up_records) AS used",
    );
    if (rows[0]?.used)
      throw new Error(
        `simulate: the database ${url.split('@').at(-1)} already holds upstream records; give an empty scratch database`,
      );
  } catch (error) {
    // to_regclass is NULL on an empty database, and the EXISTS is then not evaluated.
    if ((error as { code?: string }).code === '42P01') return;
    throw error;
  } finally {
    await client.end();
  }
}
