import { Counter, Gauge, Registry } from 'prom-client';
import type { SqliteDatabase } from '../db/open-database.js';
import type { HealthModel } from './health-model.js';
import type { HealthLevel } from './types.js';

export interface MetricsDeps {
  /** The terminal database (query log, ledger and print queue tables), read at scrape time. */
  db: SqliteDatabase;
  health: HealthModel;
  /** Upstream link state, when a sync is running. */
  sync?: () => { link: 'up' | 'down'; backlog: number; oldestPendingAt?: string; bytesSent: number };
  now?: () => number;
}

const LEVEL: Record<HealthLevel, number> = { ok: 0, warn: 1, fail: 2 };

/**
 * The terminal's Prometheus metrics on their own Registry (never prom-client's global one, so two
 * terminals in one process — tests, the demo — do not share counters). Counters count since this
 * process started: at creation we note the highest check id and record seq, and each scrape counts
 * rows above them (a primary-key range, cheap however large the tables are). Prometheus treats the
 * drop to zero on restart as a counter reset, as it should.
 */
export function createMetrics(deps: MetricsDeps): Registry {
  const registry = new Registry();
  const now = deps.now ?? Date.now;
  const { db, health } = deps;
  const startCheck = (
    db.prepare('SELECT coalesce(max(id), 0) AS n FROM verify_checks').get() as { n: number }
  ).n;
  const startSeq = (
    db.prepare('SELECT coalesce(max(seq), 0) AS n FROM ledger_records').get() as { n: number }
  ).n;
  const checks = db.prepare(
    'SELECT verdict, source, count(*) AS n FROM verify_checks WHERE id > ? GROUP BY verdict, source',
  );
  const records = db.prepare('SELECT type, count(*) AS n FROM ledger_records WHERE seq > ? GROUP BY type');
  const outbox = db.prepare(
    'SELECT count(*) AS n, min(r.at) AS oldest FROM ledger_outbox o JOIN ledger_records r ON r.seq = o.seq',
  );
  const hasPrintJobs =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'print_jobs'").get() !==
    undefined;
  const printJobs = hasPrintJobs
    ? db.prepare(
        'SELECT printer_id AS printer, state, count(*) AS n FROM print_jobs GROUP BY printer_id, state',
      )
    : undefined;

  new Counter({
    name: 'veriterm_checks_total',
    help: 'Code checks (scans verified) since start, by verdict and source',
    labelNames: ['verdict', 'source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of checks.all(startCheck) as { verdict: string; source: string; n: number }[])
        this.inc({ verdict: r.verdict, source: r.source }, r.n);
    },
  });
  new Counter({
    name: 'veriterm_ledger_records_total',
    help: 'Ledger records written since start, by type (sale, write_off, return, alert, receipt_printed)',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of records.all(startSeq) as { type: string; n: number }[]) this.inc({ type: r.type }, r.n);
    },
  });
  new Gauge({
    name: 'veriterm_outbox_backlog',
    help: 'Records waiting to be acknowledged by upstream',
    registers: [registry],
    collect() {
      this.set((outbox.get() as { n: number }).n);
    },
  });
  new Gauge({
    name: 'veriterm_outbox_oldest_age_seconds',
    help: 'Age of the oldest record not yet acknowledged by upstream (0 when none)',
    registers: [registry],
    collect() {
      const { oldest } = outbox.get() as { oldest: string | null };
      this.set(oldest ? Math.max(0, (now() - Date.parse(oldest)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'veriterm_upstream_connected',
    help: '1 when the MQTT link to upstream is up',
    registers: [registry],
    collect() {
      this.set(deps.sync?.().link === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'veriterm_upstream_bytes_sent',
    help: 'Bytes put on the wire to upstream since start',
    registers: [registry],
    collect() {
      this.set(deps.sync?.().bytesSent ?? 0);
    },
  });
  if (printJobs) {
    new Gauge({
      name: 'veriterm_print_jobs',
      help: 'Print jobs by printer and state',
      labelNames: ['printer', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of printJobs.all() as { printer: string; state: string; n: number }[])
          this.set({ printer: r.printer, state: r.state }, r.n);
      },
    });
  }
  new Gauge({
    name: 'veriterm_health_level',
    help: 'Health of each component: 0 ok, 1 warn, 2 fail',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      for (const item of health.snapshot().items) this.set({ component: item.component }, LEVEL[item.level]);
    },
  });
  new Gauge({
    name: 'veriterm_device_up',
    help: '1 when a scanner or printer is connected and ready (its health item is not fail)',
    labelNames: ['device'],
    registers: [registry],
    collect() {
      this.reset();
      for (const item of health.snapshot().items) {
        if (item.component.startsWith('scanner:') || item.component.startsWith('printer:'))
          this.set({ device: item.component }, item.level === 'fail' ? 0 : 1);
      }
    },
  });
  new Gauge({
    name: 'veriterm_process_uptime_seconds',
    help: 'Seconds since the terminal process started',
    registers: [registry],
    collect() {
      this.set(process.uptime());
    },
  });
  new Gauge({
    name: 'veriterm_process_resident_memory_bytes',
    help: 'Resident memory of the terminal process',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().rss);
    },
  });
  return registry;
}
