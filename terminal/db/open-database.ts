import Database from 'better-sqlite3';
import { openFault } from './storage-errors.js';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** Open read-only (no migrations, no pragmas that write). @default false */
  readonly?: boolean;
  /**
   * `FULL` makes every commit durable against power loss in WAL mode (SQLite docs, "WAL mode
   * synchronous"); ledger and queue databases need it. @default 'FULL'
   */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL';
  /** How long a writer waits for another connection's lock. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * The pragmas every writable veriterm connection runs, in order: openDatabase's, and those of
 * connections a worker thread opens itself (SqliteWriterWorker).
 */
export function writablePragmas(synchronous: OpenDatabaseOptions['synchronous'] = 'FULL'): string[] {
  return [
    'journal_mode = WAL',
    `synchronous = ${synchronous}`,
    'foreign_keys = ON',
    // When a checkpoint resets the WAL, cut the file back to this size instead of leaving it at its
    // high-water mark (SQLite docs, "PRAGMA journal_size_limit"): a burst cannot keep the disk.
    `journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`,
  ];
}

/** What a WAL file keeps after a checkpoint: SQLite's default auto-checkpoint size (1000 pages of 4 KiB). */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1_048_576;

/**
 * Opens a SQLite file in WAL mode with the pragmas every veriterm database uses. A file that is not a
 * database, a directory, or unreadable throws a VeritermError naming the file and the remedy
 * (`db_corrupt`, `db_unreadable`, `db_read_only`, `disk_full`), never a bare SqliteError.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      timeout: options.busyTimeoutMs ?? 5000,
    });
    const pragmas = options.readonly ? ['foreign_keys = ON'] : writablePragmas(options.synchronous);
    for (const pragma of pragmas) db.pragma(pragma);
    // The first read of the schema is what finds a file that is not a database (or is damaged).
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db?.close();
    throw openFault(file, error);
  }
}

/**
 * Applies a module's schema steps once each, in order, inside one transaction per step.
 * Each module (ledger, print queue, query log, …) owns its own tables and its own step list;
 * steps are append-only: never edit a step that has shipped.
 */
export function migrate(db: SqliteDatabase, module: string, steps: readonly string[]): void {
  // Several stores and readers open the same module's tables on one handle at start-up (each
  // constructor migrates what it uses): once a handle has brought a module up to date, it stays so.
  let known = migrated.get(db);
  if (!known) {
    known = new Map();
    migrated.set(db, known);
  }
  if ((known.get(module) ?? -1) >= steps.length) return;
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, step INTEGER NOT NULL, PRIMARY KEY (module, step))',
  );
  const done = db.prepare('SELECT COUNT(*) AS n FROM schema_migrations WHERE module = ?').get(module) as {
    n: number;
  };
  const record = db.prepare('INSERT INTO schema_migrations (module, step) VALUES (?, ?)');
  for (let step = done.n; step < steps.length; step++) {
    db.transaction(() => {
      db.exec(steps[step]!);
      record.run(module, step);
    })();
  }
  known.set(module, steps.length);
}

/** Per database handle, the modules migrate() brought up to date and to how many steps. */
const migrated = new WeakMap<SqliteDatabase, Map<string, number>>();
