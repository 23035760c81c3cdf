import { Counter, type Registry } from 'prom-client';
import type { ScannerSource } from '../../drivers/scanner/types.js';
import type { SqliteDatabase } from '../db/open-database.js';
import type { HealthModel } from './health-model.js';
import { createMetrics } from './metrics.js';
import { ClockSkewProbe, RecentErrors } from './probes.js';
import { StorageMonitor } from './storage-monitor.js';

/** Upstream link fields the health model's `upstream` item carries (terminal/sync reports them). */
export interface UpstreamView {
  link: 'up' | 'down';
  backlog: number;
  lastAckAt?: string;
  oldestPendingAt?: string;
  bytesSent: number;
}

/**
 * Reads the upstream link state from the health model's `upstream` item, so the manager page and
 * /metrics see the link whoever created it (the composition root from `config.sync`, or the demo's
 * embedded upstream). undefined when no link reports.
 */
export function upstreamFromHealth(health: HealthModel): UpstreamView | undefined {
  const d = health.get('upstream')?.details as Partial<UpstreamView> | undefined;
  if (!d || (d.link !== 'up' && d.link !== 'down')) return undefined;
  return {
    link: d.link,
    backlog: typeof d.backlog === 'number' ? d.backlog : 0,
    ...(typeof d.lastAckAt === 'string' ? { lastAckAt: d.lastAckAt } : {}),
    ...(typeof d.oldestPendingAt === 'string' ? { oldestPendingAt: d.oldestPendingAt } : {}),
    bytesSent: typeof d.bytesSent === 'number' ? d.bytesSent : 0,
  };
}

export interface Operations {
  metrics: Registry;
  /** The `storage` item: free space, database size, and the `disk_full` latch. */
  storage: StorageMonitor;
  clock: ClockSkewProbe;
  errors: RecentErrors;
  /** Pull-style items: storage (db size, free disk), clock, recent errors. */
  refresh(): void;
  /** Counts a scanner's reads in `veriterm_scans_total{device}`; returns the unsubscribe. */
  countScans(scanner: ScannerSource): () => void;
}

/** The operations side of health for the composition root: probes and the Prometheus registry. */
export function createOperations(deps: {
  db: SqliteDatabase;
  dbFile: string;
  dataDir: string;
  health: HealthModel;
  /** Free-space thresholds of the storage item (config `storage`). */
  storage?: { warnFreeBytes?: number; failFreeBytes?: number };
}): Operations {
  const storage = new StorageMonitor(deps.health, {
    dbFiles: [deps.dbFile],
    dataDir: deps.dataDir,
    ...deps.storage,
  });
  // Upstream's clock arrives with every live ack: one sample per 10 s is plenty.
  const clock = new ClockSkewProbe(deps.health, { minSampleIntervalMs: 10_000 });
  const errors = new RecentErrors(deps.health);
  const metrics = createMetrics({
    db: deps.db,
    health: deps.health,
    sync: () => upstreamFromHealth(deps.health) ?? { link: 'down', backlog: 0, bytesSent: 0 },
  });
  const scans = new Counter({
    name: 'veriterm_scans_total',
    help: 'Reads delivered by each scanner since start (before parsing and verification)',
    labelNames: ['device'],
    registers: [metrics],
  });
  return {
    metrics,
    storage,
    clock,
    errors,
    countScans(scanner) {
      const onScan = () => scans.inc({ device: scanner.deviceId });
      scanner.on('scan', onScan);
      return () => scanner.off('scan', onScan);
    },
    refresh() {
      storage.refresh();
      clock.report();
      errors.report();
    },
  };
}
