import { statfsSync, statSync } from 'node:fs';
import type { HealthReporter } from './types.js';

export interface StorageProbeOptions {
  /** SQLite files whose size counts as "database size" (the main file plus its -wal). */
  dbFiles: string[];
  /** Directory whose filesystem is checked for free space (the data dir). */
  dataDir: string;
  /** WARN below this much free space. @default 500 MiB */
  warnFreeBytes?: number;
  /** FAIL below this much free space: SQLite cannot grow the WAL, sales would fail. @default 100 MiB */
  failFreeBytes?: number;
}

/** Sum of the files' sizes (missing files count 0: a WAL file comes and goes). */
function sizeOf(files: string[]): number {
  let total = 0;
  for (const file of files) {
    for (const f of [file, `${file}-wal`]) {
      try {
        total += statSync(f).size;
      } catch {
        // absent
      }
    }
  }
  return total;
}

const mb = (n: number) => `${Math.round(n / 1_048_576)} MB`;

/**
 * Database size and free disk (`storage`). Free space is what decides whether the terminal can keep
 * recording sales offline, so it sets the level; the database size is shown alongside.
 */
export function reportStorage(health: HealthReporter, options: StorageProbeOptions): void {
  const warnAt = options.warnFreeBytes ?? 500 * 1_048_576;
  const failAt = options.failFreeBytes ?? 100 * 1_048_576;
  const dbBytes = sizeOf(options.dbFiles);
  let freeBytes: number | undefined;
  try {
    const fs = statfsSync(options.dataDir);
    freeBytes = fs.bavail * fs.bsize;
  } catch {
    freeBytes = undefined;
  }
  const details = { dbBytes, ...(freeBytes === undefined ? {} : { freeBytes }), warnFreeBytes: warnAt };
  if (freeBytes === undefined) {
    health.report('storage', {
      level: 'warn',
      code: 'storage.unknown',
      reason: 'Cannot read free disk space',
      details,
    });
  } else if (freeBytes < failAt) {
    health.report('storage', {
      level: 'fail',
      code: 'storage.full',
      params: { freeBytes, dbBytes },
      reason: `Disk almost full: ${mb(freeBytes)} free (database ${mb(dbBytes)})`,
      details,
    });
  } else if (freeBytes < warnAt) {
    health.report('storage', {
      level: 'warn',
      code: 'storage.low',
      params: { freeBytes, dbBytes },
      reason: `Disk space low: ${mb(freeBytes)} free (database ${mb(dbBytes)})`,
      details,
    });
  } else {
    health.report('storage', {
      level: 'ok',
      code: 'storage.ok',
      params: { freeBytes, dbBytes },
      reason: `Database ${mb(dbBytes)}, ${mb(freeBytes)} free`,
      details,
    });
  }
}

/**
 * Clock skew against upstream (`clock`). Upstream stamps what it sends (a command's `issuedAt`,
 * every live ack's `at`); the difference to our clock on receipt bounds the skew from above (it
 * includes transit time, milliseconds on a store's link).
 * Expiry and the registry age depend on the clock, so a large skew is a WARN, a very large a FAIL.
 */
export class ClockSkewProbe {
  #skewMs: number | undefined;
  #measuredAt: string | undefined;
  #sampledAt: number | undefined;

  constructor(
    private readonly health: HealthReporter,
    private readonly options: {
      warnMs?: number;
      failMs?: number;
      /** Samples closer together than this are ignored (every live ack carries one). @default 0 */
      minSampleIntervalMs?: number;
      now?: () => number;
    } = {},
  ) {}

  get skewMs(): number | undefined {
    return this.#skewMs;
  }

  /** Records an upstream timestamp seen just now. Ignores unparsable input. */
  observe(upstreamTime: string): void {
    const t = Date.parse(upstreamTime);
    if (Number.isNaN(t)) return;
    const now = (this.options.now ?? Date.now)();
    // A clock that jumped back is a new situation: always sample it.
    const since = this.#sampledAt === undefined ? Number.POSITIVE_INFINITY : now - this.#sampledAt;
    if (since >= 0 && since < (this.options.minSampleIntervalMs ?? 0)) return;
    this.#sampledAt = now;
    this.#skewMs = now - t;
    this.#measuredAt = new Date(now).toISOString();
    this.report();
  }

  report(): void {
    const warnMs = this.options.warnMs ?? 60_000;
    const failMs = this.options.failMs ?? 600_000;
    if (this.#skewMs === undefined) {
      this.health.report('clock', {
        level: 'ok',
        code: 'clock.unknown',
        reason: 'Clock not yet compared with upstream',
      });
      return;
    }
    const abs = Math.abs(this.#skewMs);
    const details = { skewMs: this.#skewMs, measuredAt: this.#measuredAt, warnMs };
    const seconds = Math.round(this.#skewMs / 1000);
    const text = `Clock ${seconds >= 0 ? 'ahead of' : 'behind'} upstream by ${Math.abs(seconds)} s`;
    const skew = {
      code: seconds >= 0 ? 'clock.ahead' : 'clock.behind',
      params: { seconds: Math.abs(seconds) },
    } as const;
    this.health.report(
      'clock',
      abs >= failMs
        ? { level: 'fail', ...skew, reason: text, details }
        : abs >= warnMs
          ? { level: 'warn', ...skew, reason: text, details }
          : {
              level: 'ok',
              code: 'clock.in_step',
              params: { seconds },
              reason: `Clock in step with upstream (${seconds} s)`,
              details,
            },
    );
  }
}

/**
 * Recent errors (`errors`): the last few faults a manager should know of (print failures, refused
 * records), newest first. WARN while one happened in the last `windowMs`.
 */
export class RecentErrors {
  readonly #items: { at: string; source: string; message: string }[] = [];

  constructor(
    private readonly health: HealthReporter,
    private readonly options: { keep?: number; windowMs?: number; now?: () => number } = {},
  ) {}

  add(source: string, message: string): void {
    const now = (this.options.now ?? Date.now)();
    this.#items.unshift({ at: new Date(now).toISOString(), source, message });
    this.#items.length = Math.min(this.#items.length, this.options.keep ?? 10);
    this.report();
  }

  list(): { at: string; source: string; message: string }[] {
    return [...this.#items];
  }

  report(): void {
    const now = (this.options.now ?? Date.now)();
    const windowMs = this.options.windowMs ?? 15 * 60_000;
    const latest = this.#items[0];
    const details = { errors: this.list() };
    if (latest && now - Date.parse(latest.at) < windowMs) {
      this.health.report('errors', {
        level: 'warn',
        code: 'errors.recent',
        params: { component: latest.source, message: latest.message },
        reason: `${latest.source}: ${latest.message}`,
        details,
      });
    } else {
      this.health.report('errors', { level: 'ok', code: 'errors.none', reason: 'No recent errors', details });
    }
  }
}
