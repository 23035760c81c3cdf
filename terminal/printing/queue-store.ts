import { monotonicFactory } from 'ulid';
import { migrate, type SqliteDatabase } from '../db/open-database.js';
import type { PrintJobState } from './job-states.js';

export { PRINT_JOB_KINDS, PRINT_JOB_STATES, type PrintJobKind, type PrintJobState } from './job-states.js';

export interface PrintJob {
  id: string;
  printerId: string;
  /** receipt, reprint, test … (free text, shown on the manager page). */
  kind: string;
  /** Caller's idempotency key (e.g. the sale id): enqueueing the same ref twice returns the first job. */
  ref: string | null;
  state: PrintJobState;
  attempts: number;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  doneAt: number | null;
  byteLength: number;
}

interface Row {
  id: string;
  printer_id: string;
  kind: string;
  ref: string | null;
  state: PrintJobState;
  attempts: number;
  reason: string | null;
  created_at: number;
  updated_at: number;
  done_at: number | null;
  byte_length: number;
}

/** Append-only schema steps of the `printing` module. */
export const PRINTING_MIGRATIONS = [
  `CREATE TABLE print_jobs (
     id TEXT PRIMARY KEY,
     printer_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     ref TEXT,
     bytes BLOB NOT NULL,
     document TEXT,
     state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'done', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     reason TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     done_at INTEGER
   );
   CREATE INDEX print_jobs_queue ON print_jobs (printer_id, state, id);
   CREATE UNIQUE INDEX print_jobs_ref ON print_jobs (printer_id, ref) WHERE ref IS NOT NULL;`,
] as const;

/** Monotonic within a millisecond, so ids sort in enqueue order. */
const ulid = monotonicFactory();

const columns =
  'id, printer_id, kind, ref, state, attempts, reason, created_at, updated_at, done_at, length(bytes) AS byte_length';

function toJob(row: Row): PrintJob {
  return {
    id: row.id,
    printerId: row.printer_id,
    kind: row.kind,
    ref: row.ref,
    state: row.state,
    attempts: row.attempts,
    reason: row.reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    doneAt: row.done_at,
    byteLength: row.byte_length,
  };
}

/** The print_jobs table. Every state change is one committed statement (synchronous=FULL). */
export class PrintQueueStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'printing', PRINTING_MIGRATIONS);
  }

  insert(job: {
    printerId: string;
    kind: string;
    ref?: string;
    bytes: Uint8Array;
    document?: string;
  }): PrintJob {
    return this.db.transaction(() => {
      if (job.ref !== undefined) {
        const existing = this.db
          .prepare(`SELECT ${columns} FROM print_jobs WHERE printer_id = ? AND ref = ?`)
          .get(job.printerId, job.ref) as Row | undefined;
        if (existing) return toJob(existing);
      }
      const now = this.now();
      const id = ulid(now);
      this.db
        .prepare(
          `INSERT INTO print_jobs (id, printer_id, kind, ref, bytes, document, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          id,
          job.printerId,
          job.kind,
          job.ref ?? null,
          Buffer.from(job.bytes),
          job.document ?? null,
          now,
          now,
        );
      return this.get(id)!;
    })();
  }

  get(id: string): PrintJob | undefined {
    const row = this.db.prepare(`SELECT ${columns} FROM print_jobs WHERE id = ?`).get(id) as Row | undefined;
    return row ? toJob(row) : undefined;
  }

  bytes(id: string): Uint8Array | undefined {
    const row = this.db.prepare('SELECT bytes FROM print_jobs WHERE id = ?').get(id) as
      | { bytes: Buffer }
      | undefined;
    return row ? new Uint8Array(row.bytes) : undefined;
  }

  document(id: string): string | null {
    const row = this.db.prepare('SELECT document FROM print_jobs WHERE id = ?').get(id) as
      | { document: string | null }
      | undefined;
    return row?.document ?? null;
  }

  /** The job to work on next: a `sent` one waiting for confirmation first, else the oldest pending. */
  next(printerId: string): PrintJob | undefined {
    const row = this.db
      .prepare(
        `SELECT ${columns} FROM print_jobs WHERE printer_id = ? AND state IN ('sent', 'pending', 'sending')
         ORDER BY CASE state WHEN 'sent' THEN 0 ELSE 1 END, rowid LIMIT 1`,
      )
      .get(printerId) as Row | undefined;
    return row ? toJob(row) : undefined;
  }

  /** Jobs a crash left in `sending` go back to pending: they were never acknowledged. */
  recover(printerId: string): number {
    return this.db
      .prepare(
        `UPDATE print_jobs SET state = 'pending', updated_at = ? WHERE printer_id = ? AND state = 'sending'`,
      )
      .run(this.now(), printerId).changes;
  }

  /** The printer took every byte but is not ready (e.g. paper ran out mid-job): never resend. */
  markSent(id: string): void {
    this.db
      .prepare(
        `UPDATE print_jobs SET state = 'sent', attempts = attempts + 1, updated_at = ? WHERE id = ? AND state IN ('pending', 'sending')`,
      )
      .run(this.now(), id);
  }

  /** Acknowledged: bytes taken and the printer answered ready afterwards. */
  markDone(id: string): void {
    const now = this.now();
    this.db
      .prepare(
        `UPDATE print_jobs SET state = 'done', reason = NULL, updated_at = ?, done_at = ?,
           attempts = attempts + CASE WHEN state = 'sent' THEN 0 ELSE 1 END
         WHERE id = ? AND state IN ('pending', 'sending', 'sent')`,
      )
      .run(now, now, id);
  }

  /** A send failed before the printer took every byte: stays pending, reason kept. Returns attempts so far. */
  markRetry(id: string, reason: string): number {
    this.db
      .prepare(
        `UPDATE print_jobs SET state = 'pending', attempts = attempts + 1, reason = ?, updated_at = ? WHERE id = ? AND state IN ('pending', 'sending')`,
      )
      .run(reason, this.now(), id);
    return this.get(id)?.attempts ?? 0;
  }

  markFailed(id: string, reason: string): void {
    this.db
      .prepare(
        `UPDATE print_jobs SET state = 'failed', reason = ?, updated_at = ? WHERE id = ? AND state IN ('pending', 'sending')`,
      )
      .run(reason, this.now(), id);
  }

  /** The last job printed that was not itself a test page (for "reprint last receipt"). */
  lastDone(printerId: string, kinds: readonly string[]): PrintJob | undefined {
    const marks = kinds.map(() => '?').join(', ');
    const row = this.db
      .prepare(
        `SELECT ${columns} FROM print_jobs WHERE printer_id = ? AND state = 'done' AND kind IN (${marks})
         ORDER BY done_at DESC, rowid DESC LIMIT 1`,
      )
      .get(printerId, ...kinds) as Row | undefined;
    return row ? toJob(row) : undefined;
  }

  list(printerId: string, options: { states?: readonly PrintJobState[]; limit?: number } = {}): PrintJob[] {
    const states = options.states ?? ['pending', 'sending', 'sent', 'done', 'failed'];
    const marks = states.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT ${columns} FROM print_jobs WHERE printer_id = ? AND state IN (${marks}) ORDER BY rowid DESC LIMIT ?`,
      )
      .all(printerId, ...states, options.limit ?? 50) as Row[];
    return rows.map(toJob);
  }

  /** Jobs not finished yet (pending, sending or sent). */
  waiting(printerId: string): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM print_jobs WHERE printer_id = ? AND state IN ('pending', 'sending', 'sent')`,
      )
      .get(printerId) as { n: number };
    return row.n;
  }
}
