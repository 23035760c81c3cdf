import type { SqliteDatabase } from '../db/open-database.js';
import { asStorageFault, isDiskFull } from '../db/storage-errors.js';
import type { VeritermError } from '../errors.js';
import type { Logger } from '../logger.js';

/** How big the query log may get (config `storage`). */
export interface QueryLogBounds {
  /** Checks older than this many days are deleted. */
  checkRetentionDays: number;
  /** Most checks kept (the oldest go first). */
  maxChecks: number;
  /** Most per-code counters kept (the least recently checked go first). */
  maxCodeStats: number;
}

export interface MaintenanceResult {
  deletedChecks: number;
  deletedCodes: number;
  /** `truncated`: the WAL is empty now; `busy`: another connection was mid-write, next time. */
  checkpoint: 'truncated' | 'busy' | 'failed';
}

/** Rows per DELETE: one short write-lock hold each, so a sale never waits long behind pruning. */
const BATCH_ROWS = 500;
/** Batches per run at most; the rest waits for the next run (a run never hogs the event loop). */
const MAX_BATCHES_PER_RUN = 40;
const DAY_MS = 86_400_000;

/**
 * Keeps the query log and its WAL bounded, off the scan path: deletes expired and surplus checks
 * and counters in small batches (yielding to the event loop between them), then checkpoints with
 * TRUNCATE, which empties the WAL file (SQLite docs, "wal_checkpoint"). Neither pruning nor the
 * checkpoint waits: with the busy timeout at 0 a run stops at once if another connection holds the
 * write lock (the ledger's writer), and the next run carries on. Runs on a timer and after every few hundred
 * checks (QueryLog's `onRecorded`); runs never overlap. Never throws: a full disk is reported.
 */
export class QueryLogMaintenance {
  readonly #db: SqliteDatabase;
  readonly #bounds: QueryLogBounds;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #onDiskFull: ((fault: VeritermError) => void) | undefined;
  readonly #statements;
  #running: Promise<MaintenanceResult> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: {
    db: SqliteDatabase;
    bounds: QueryLogBounds;
    logger: Logger;
    onDiskFull?: (fault: VeritermError) => void;
    now?: () => number;
  }) {
    this.#db = deps.db;
    this.#bounds = deps.bounds;
    this.#logger = deps.logger;
    this.#now = deps.now ?? Date.now;
    this.#onDiskFull = deps.onDiskFull;
    const db = deps.db;
    this.#statements = {
      expired: db.prepare(
        'DELETE FROM verify_checks WHERE id IN (SELECT id FROM verify_checks WHERE checked_at < ? LIMIT ?)',
      ),
      newest: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM verify_checks'),
      surplus: db.prepare(
        'DELETE FROM verify_checks WHERE id IN (SELECT id FROM verify_checks WHERE id <= ? ORDER BY id LIMIT ?)',
      ),
      orphanReports: db.prepare(
        'DELETE FROM verify_reports WHERE check_id < (SELECT coalesce(min(id), 0) FROM verify_checks)',
      ),
      codes: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM verify_code_stats'),
      leastRecent: db.prepare(
        'DELETE FROM verify_code_stats WHERE key IN (SELECT key FROM verify_code_stats ORDER BY last_at LIMIT ?)',
      ),
    };
  }

  /** Runs every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.nudge(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#again = false;
    await this.#running;
  }

  /**
   * After a burst of checks: checkpoints now (it never waits, so it is cheap when it cannot), then
   * makes sure a pruning run follows. The checkpoint is not left to the run, whose batches yield
   * to the event loop: under a flood the loop may not come round for seconds, and the WAL would grow.
   */
  nudge(): void {
    this.checkpoint();
    if (this.#running) {
      this.#again = true;
      return;
    }
    void this.run();
  }

  /** One pass now (or the pass in progress). Resolves with what it did; never rejects. */
  run(): Promise<MaintenanceResult> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.nudge();
      }
    });
    return this.#running;
  }

  async #pass(): Promise<MaintenanceResult> {
    const result: MaintenanceResult = { deletedChecks: 0, deletedCodes: 0, checkpoint: 'failed' };
    try {
      const s = this.#statements;
      const cutoff = new Date(this.#now() - this.#bounds.checkRetentionDays * DAY_MS).toISOString();
      let batches = 0;
      const more = () => batches++ < MAX_BATCHES_PER_RUN;
      while (more()) {
        const n = this.#withoutWaiting(() => s.expired.run(cutoff, BATCH_ROWS).changes);
        result.deletedChecks += n;
        if (n < BATCH_ROWS) break;
        await yieldToEventLoop();
      }
      while (more()) {
        // Ids only grow and only the oldest are deleted, so max(id) − maxChecks is the cut.
        const newest = s.newest.get()?.id ?? 0;
        const n = this.#withoutWaiting(
          () => s.surplus.run(newest - this.#bounds.maxChecks, BATCH_ROWS).changes,
        );
        result.deletedChecks += n;
        if (n < BATCH_ROWS) break;
        await yieldToEventLoop();
      }
      if (result.deletedChecks > 0) this.#withoutWaiting(() => s.orphanReports.run());
      while (more()) {
        const over = (s.codes.get()?.n ?? 0) - this.#bounds.maxCodeStats;
        if (over <= 0) break;
        const n = this.#withoutWaiting(() => s.leastRecent.run(Math.min(over, BATCH_ROWS)).changes);
        result.deletedCodes += n;
        if (n === 0) break;
        await yieldToEventLoop();
      }
      result.checkpoint = this.#truncate();
    } catch (error) {
      if (error instanceof Busy) result.checkpoint = 'busy';
      else this.#fault(error);
    }
    if (result.deletedChecks + result.deletedCodes > 0) this.#logger.debug(result, 'query log pruned');
    return result;
  }

  /** A TRUNCATE checkpoint now, without waiting for another connection; never throws. */
  checkpoint(): MaintenanceResult['checkpoint'] {
    try {
      return this.#truncate();
    } catch (error) {
      if (error instanceof Busy) return 'busy';
      this.#fault(error);
      return 'failed';
    }
  }

  #truncate(): MaintenanceResult['checkpoint'] {
    return this.#withoutWaiting(() => {
      const rows = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return rows[0]?.busy === 0 ? 'truncated' : 'busy';
    });
  }

  /**
   * Runs one statement without waiting for another connection's lock (busy timeout 0, restored
   * after): the event loop is never held up by maintenance; a busy database ends this run.
   */
  #withoutWaiting<T>(statement: () => T): T {
    const db = this.#db;
    const before = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      return statement();
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new Busy();
      throw error;
    } finally {
      db.pragma(`busy_timeout = ${before}`);
    }
  }

  #fault(error: unknown): void {
    if (isDiskFull(error)) {
      const fault = asStorageFault(error, this.#db.name) as VeritermError;
      this.#onDiskFull?.(fault);
      this.#logger.error({ err: error }, 'query log maintenance: disk full');
      return;
    }
    this.#logger.error({ err: error }, 'query log maintenance failed');
  }
}

/** Another connection held the lock: this run stops, the next one carries on. */
class Busy extends Error {}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
