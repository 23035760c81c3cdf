import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimBroker } from './sim-broker.js';
import { SimChildren } from './sim-children.js';
import { SimCloneWatch } from './sim-clone-watch.js';
import { planFleet } from './sim-fleet-plan.js';
import { SIM_SCOPE } from './sim-kiosk.js';
import { backendCpuMs, type CpuSample, databaseName, procCpuMs } from './sim-proc-cpu.js';
import { seededRandom } from './sim-protocol.js';
import { type SimulationReport, simulationReport } from './sim-report.js';
import { startTerminalProcesses } from './sim-terminal-processes.js';
import { startSimUpstreams, writeUpstreamDir } from './sim-upstreams.js';

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
  const durationMs = options.durationS * 1000;
  const progress = options.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'vt-simulate-'));
  const children = new SimChildren();
  const broker = await startSimBroker(dir);
  try {
    const { fleet, drops, pairs, kioskKeys } = planFleet(
      {
        terminals: options.terminals,
        stores: options.stores,
        durationMs,
        dropShare: options.dropShare ?? 0.1,
        clones: options.clones ?? 5,
      },
      seededRandom(seed),
    );
    // Each terminal's serials: its expected sales plus five standard deviations, times the lines.
    const salesEach = (options.salesPerSecond * options.durationS) / options.terminals;
    const fleetCodes = options.registerSoldCodes
      ? {
          terminals: options.terminals,
          serialsPerTerminal: Math.ceil(salesEach + 5 * Math.sqrt(salesEach) + 5) * lines,
        }
      : undefined;
    const upstreamDir = await writeUpstreamDir(dir, {
      watchedCodes: pairs.map((p) => p.code),
      fleetCodes,
      minDeltaIntervalMs: options.minDeltaIntervalMs,
      enrolled: [...fleet, ...kioskKeys],
    });
    const registeredUnits =
      pairs.length + (fleetCodes ? fleetCodes.terminals * fleetCodes.serialsPerTerminal : 0);
    progress(`simulate: ${registeredUnits} units registered in scope ${SIM_SCOPE}`);

    const workerCount = options.database === undefined ? 1 : (options.workers ?? 1);
    const upstreams = await startSimUpstreams(children, {
      upstreamDir,
      brokerUrl: broker.url,
      database: options.database,
      workers: workerCount,
    });
    const clones = await SimCloneWatch.start({
      pairs,
      kioskKeys,
      brokerUrl: broker.url,
      dir,
      root: upstreamDir.root,
      feed: { url: upstreams.feedUrl, token: upstreamDir.token },
    });
    progress(`simulate: ${clones.kioskCount} kiosks hold the registry`);

    // Terminal processes, each with a slice of the fleet and its share of the rate.
    const terminals = await startTerminalProcesses(children, {
      fleet,
      drops,
      processes,
      brokerUrl: broker.url,
      salesPerSecond: options.salesPerSecond,
      lines,
      seed,
    });
    progress(
      `simulate: ${terminals.connected}/${options.terminals} terminals connected in ${processes} processes`,
    );

    // Broker, upstream and database CPU over the selling window: setup and drain left out.
    const dbName = options.database === undefined ? undefined : databaseName(options.database);
    const sampleCpu = (): CpuSample => ({
      broker: procCpuMs(broker.pid),
      upstream: upstreams.cpuMs(),
      database: dbName === undefined ? undefined : backendCpuMs(dbName),
    });
    const cpuStart = sampleCpu();
    const startedMs = Date.now();
    terminals.startSales();
    clones.begin({ durationMs, sell: terminals.sell });
    let lastReport = Date.now();
    while (Date.now() - startedMs < durationMs) {
      await sleep(250);
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        progress(
          `simulate: ${Math.round((Date.now() - startedMs) / 1000)} s, ${upstreams.ingested()} records ingested, ${clones.alertedCount}/${pairs.length} clones alerted`,
        );
      }
    }
    terminals.stopSales();
    const salesEndMs = Date.now();
    const cpuEnd = sampleCpu();

    await clones.endSales();
    const reports = await terminals.finish();
    await clones.awaitAlerts(10_000);
    const audit = await upstreams.audit(reports.flatMap((r) => r.heads));
    const report = simulationReport({
      setup: {
        terminals: options.terminals,
        stores: options.stores,
        processes,
        engine: options.database === undefined ? 'sqlite' : 'postgres',
        workers: workerCount,
        seed,
        durationS: options.durationS,
        clonesPlanned: pairs.length,
        registeredUnits,
      },
      window: { startMs: startedMs, endMs: salesEndMs },
      terminals: reports,
      audit,
      ticks: upstreams.ticks,
      clones: clones.latencies(),
      cpu: { start: cpuStart, end: cpuEnd },
    });
    await clones.stop();
    await upstreams.stop();
    return report;
  } finally {
    children.killRemaining();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
