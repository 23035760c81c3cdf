import type { CpuSample } from './sim-proc-cpu.js';
import type { TerminalsReport, UpstreamAudit, UpstreamTick } from './sim-protocol.js';

// What a fleet simulation found, and its figures as the bench prints them.

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SimulationReport {
  terminals: number;
  stores: number;
  processes: number;
  /** `sqlite`, or `postgres` with the number of upstream workers. */
  engine: string;
  workers: number;
  /** Records each upstream worker stored (shared subscriptions spread the batches). */
  recordsPerWorker: number[];
  seed: number;
  sales: number;
  records: number;
  /** Records upstream ingested per second while the fleet was selling. */
  ingestRecordsPerSecond: number;
  /** Sale signed → upstream's ack, for sales signed while the terminal was connected (ms). */
  lagOnlineMs: Percentiles;
  /** The same for sales signed while the link was down (the outage is most of it). */
  lagOfflineMs: Percentiles;
  drops: number;
  /** Records the terminals hold that upstream does not (must be 0), and records upstream holds twice (must be 0). */
  lost: number;
  /** Records still in terminals' outboxes when the drain wait ended (late, not lost; 0 when all drained). */
  unacknowledged: number;
  duplicated: number;
  /** A sample of 50 terminals whose stored sequences are not exactly 1..n in order (must be false). */
  outOfOrder: boolean;
  /** upstream.db (with its WAL checkpointed), or PostgreSQL's tables and indexes after VACUUM, per stored record, records and alerts included. */
  dbBytesPerRecord: number;
  clonesPlanned: number;
  clonesAlerted: number;
  /** Later sale of a cloned code signed → its clone alert in the enforcement feed (ms). */
  cloneAlertMs: Percentiles;
  /** First sale of a cloned code signed → the kiosk at the other store says already_sold (ms). */
  alreadySoldMs: Percentiles;
  /** Units registered in the scope (watched codes, plus the fleet's with registerSoldCodes). */
  registeredUnits: number;
  /** Registry versions the publisher made per second while the fleet sold, and snapshots it issued. */
  registry: { versionsPerSecond: number; versions: number; snapshots: number; lastVersion: number };
  /** CPU while the fleet sold, as a share of one core (1 = one core busy); upstream: its workers together. */
  cpu: { broker: number; upstream: number; terminals: number; database?: number };
  durationS: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

/** What a run observed, raw: the report is derived from it alone. */
export interface RunObservations {
  setup: Pick<
    SimulationReport,
    | 'terminals'
    | 'stores'
    | 'processes'
    | 'engine'
    | 'workers'
    | 'seed'
    | 'durationS'
    | 'clonesPlanned'
    | 'registeredUnits'
  >;
  /** The selling window: from the start of sales to their stop (ms since the epoch). */
  window: { startMs: number; endMs: number };
  /** Each terminal process's report, after its outboxes drained. */
  terminals: readonly TerminalsReport[];
  /** What upstream stored, for the terminals in the order their processes reported them. */
  audit: UpstreamAudit;
  /** Each upstream worker's ticks. */
  ticks: readonly (readonly UpstreamTick[])[];
  clones: { cloneAlertMs: readonly number[]; alreadySoldMs: readonly number[] };
  /** CPU at the start and the end of the selling window. */
  cpu: { start: CpuSample; end: CpuSample };
}

/** The report of a run: what the terminals hold against what upstream stored, rates and CPU over the selling window. */
export function simulationReport(observed: RunObservations): SimulationReport {
  const { setup, terminals, audit, clones, cpu } = observed;
  const heads = terminals.flatMap((r) => r.heads);
  const records = heads.reduce((n, h) => n + h.head, 0);
  // Lost: acknowledged to a terminal (so gone from its outbox) but not stored upstream.
  const lost = heads.reduce(
    (n, h, i) => n + Math.max(0, Math.min(h.acked, h.head) - (audit.lastSeqs[i] ?? 0)),
    0,
  );
  const upstream = upstreamFigures(observed.ticks, observed.window);
  const windowMs = observed.window.endMs - observed.window.startMs;
  const share = (end: number | undefined, start: number | undefined) =>
    end !== undefined && start !== undefined ? (end - start) / windowMs : Number.NaN;
  const { database: dbStart } = cpu.start;
  const { database: dbEnd } = cpu.end;
  return {
    terminals: setup.terminals,
    stores: setup.stores,
    processes: setup.processes,
    engine: setup.engine,
    workers: setup.workers,
    recordsPerWorker: upstream.recordsPerWorker,
    seed: setup.seed,
    sales: terminals.reduce((n, r) => n + r.sales, 0),
    records,
    ingestRecordsPerSecond: upstream.ingestRecordsPerSecond,
    lagOnlineMs: percentiles(terminals.flatMap((r) => r.lagsOnline)),
    lagOfflineMs: percentiles(terminals.flatMap((r) => r.lagsOffline)),
    drops: terminals.reduce((n, r) => n + r.drops, 0),
    lost,
    unacknowledged: heads.reduce((n, h) => n + (h.head - h.acked), 0),
    duplicated: Math.max(0, audit.storedRecords - records),
    outOfOrder: !audit.sequencesInOrder,
    dbBytesPerRecord: records > 0 ? Math.round(audit.dbBytes / records) : 0,
    clonesPlanned: setup.clonesPlanned,
    clonesAlerted: clones.cloneAlertMs.length,
    cloneAlertMs: percentiles(clones.cloneAlertMs),
    alreadySoldMs: percentiles(clones.alreadySoldMs),
    registeredUnits: setup.registeredUnits,
    registry: upstream.registry,
    cpu: {
      broker: share(cpu.end.broker, cpu.start.broker),
      upstream: share(cpu.end.upstream, cpu.start.upstream),
      // Terminal processes report their whole run (connect included): an upper bound.
      terminals: terminals.reduce((n, r) => n + r.cpuMs, 0) / windowMs,
      ...(dbStart && dbEnd
        ? { database: [...dbEnd].reduce((n, [pid, ms]) => n + ms - (dbStart.get(pid) ?? 0), 0) / windowMs }
        : {}),
    },
    durationS: setup.durationS,
  };
}

/**
 * The upstream's figures from each worker's ticks: the ingest rate over the selling window (the
 * sum of the workers' rates), and the registry versions and snapshots made in it, by whichever
 * worker published (the lease holder).
 */
function upstreamFigures(
  ticksByWorker: readonly (readonly UpstreamTick[])[],
  window: { startMs: number; endMs: number },
): Pick<SimulationReport, 'recordsPerWorker' | 'ingestRecordsPerSecond' | 'registry'> {
  const spans = ticksByWorker.map((ticks) => {
    const inWindow = ticks.filter((t) => t.atMs >= window.startMs && t.atMs <= window.endMs);
    const first = inWindow[0];
    const last = inWindow.at(-1);
    return first && last && last.atMs > first.atMs
      ? {
          recordsPerSecond: ((last.records - first.records) * 1000) / (last.atMs - first.atMs),
          versions: last.deltas - first.deltas,
          snapshots: last.snapshots - first.snapshots,
          versionsPerSecond: ((last.deltas - first.deltas) * 1000) / (last.atMs - first.atMs),
        }
      : { recordsPerSecond: 0, versions: 0, snapshots: 0, versionsPerSecond: 0 };
  });
  const sum = (of: (span: (typeof spans)[number]) => number) => spans.reduce((n, s) => n + of(s), 0);
  return {
    recordsPerWorker: ticksByWorker.map((ticks) => ticks.at(-1)?.records ?? 0),
    ingestRecordsPerSecond: Math.round(sum((s) => s.recordsPerSecond)),
    registry: {
      versionsPerSecond: Math.round(100 * sum((s) => s.versionsPerSecond)) / 100,
      versions: sum((s) => s.versions),
      snapshots: sum((s) => s.snapshots),
      lastVersion: Math.max(0, ...ticksByWorker.map((ticks) => ticks.at(-1)?.version ?? 0)),
    },
  };
}

/** The report as `simulate <metric> <value> <unit>` lines (the bench format). */
export function reportLines(r: SimulationReport): string[] {
  const pct = (name: string, p: Percentiles, unit = 'ms') => [
    `simulate ${name}_p50 ${p.p50} ${unit}`,
    `simulate ${name}_p99 ${p.p99} ${unit}`,
    `simulate ${name}_max ${p.max} ${unit}`,
    `simulate ${name}_count ${p.count} n`,
  ];
  const cores = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(2));
  return [
    `simulate terminals ${r.terminals} n`,
    `simulate stores ${r.stores} n`,
    `simulate processes ${r.processes} n`,
    `simulate engine ${r.engine} -`,
    `simulate upstream_workers ${r.workers} n`,
    `simulate records_per_worker ${r.recordsPerWorker.join('/')} records`,
    `simulate duration ${r.durationS} s`,
    `simulate sales ${r.sales} n`,
    `simulate records ${r.records} n`,
    `simulate ingest_rate ${r.ingestRecordsPerSecond} records/s`,
    ...pct('lag_online', r.lagOnlineMs),
    ...pct('lag_offline', r.lagOfflineMs),
    `simulate drops ${r.drops} n`,
    `simulate lost ${r.lost} records`,
    `simulate unacknowledged ${r.unacknowledged} records`,
    `simulate duplicated ${r.duplicated} records`,
    `simulate out_of_order ${r.outOfOrder ? 1 : 0} -`,
    `simulate db_bytes_per_record ${r.dbBytesPerRecord} B`,
    `simulate clones_alerted ${r.clonesAlerted}/${r.clonesPlanned} n`,
    ...pct('clone_alert', r.cloneAlertMs),
    ...pct('already_sold_at_other_store', r.alreadySoldMs),
    `simulate registered_units ${r.registeredUnits} n`,
    `simulate registry_versions_rate ${r.registry.versionsPerSecond} versions/s`,
    `simulate registry_versions ${r.registry.versions} n`,
    `simulate registry_snapshots ${r.registry.snapshots} n`,
    `simulate registry_last_version ${r.registry.lastVersion} n`,
    `simulate cpu_broker ${cores(r.cpu.broker)} cores`,
    `simulate cpu_upstream ${cores(r.cpu.upstream)} cores`,
    `simulate cpu_terminals ${cores(r.cpu.terminals)} cores`,
    ...(r.cpu.database === undefined ? [] : [`simulate cpu_database ${cores(r.cpu.database)} cores`]),
    `simulate seed ${r.seed} -`,
  ];
}
