import { migrate, type SqliteDatabase } from '../db/open-database.js';
import { diskFullError, isDiskFull } from '../db/storage-errors.js';
import type { VeritermError } from '../errors.js';
import type { CheckHistory, VerdictKind } from './types.js';

/**
 * Schema of the query log (module `verify`; append-only steps). `verify_checks` keeps every check
 * (for the manager's per-hour charts); `verify_code_stats` keeps per-code counters so that reading a
 * code's history is one primary-key lookup however often it was scanned.
 */
const STEPS = [
  `CREATE TABLE verify_checks (
     id INTEGER PRIMARY KEY,
     key TEXT,
     verdict TEXT NOT NULL,
     reason TEXT NOT NULL,
     source TEXT NOT NULL,
     device_id TEXT,
     checked_at TEXT NOT NULL
   );
   CREATE INDEX verify_checks_at ON verify_checks (checked_at);
   CREATE TABLE verify_code_stats (
     key TEXT PRIMARY KEY,
     checks INTEGER NOT NULL,
     first_at TEXT NOT NULL,
     last_at TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // Suspicious-pack reports: one alert record per check, so a double tap does not file two alerts.
  `CREATE TABLE verify_reports (
     check_id INTEGER PRIMARY KEY,
     record_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     reported_at TEXT NOT NULL
   );`,
  // Bounded counters: the least recently checked codes are the ones dropped (query-log-maintenance.ts).
  'CREATE INDEX verify_code_stats_last ON verify_code_stats (last_at);',
];

export interface CheckEntry {
  /** Canonical key; undefined for unreadable scans (still counted for the charts). */
  key: string | undefined;
  verdict: VerdictKind;
  reason: string;
  /** Where the check came from: `kiosk`, `checkout`, `api`, `wedge`, … */
  source: string;
  deviceId?: string;
  checkedAt: string;
}

export interface CheckRow extends CheckEntry {
  id: number;
}

export interface QueryLogOptions {
  /** The database file, named in faults. @default the connection's file */
  file?: string;
  /** Told when a check could not be recorded because the disk is full. */
  onDiskFull?: (fault: VeritermError) => void;
  /** Told after every `everyChecks` records (maintenance: prune and checkpoint off the scan path). */
  onRecorded?: { everyChecks: number; run: () => void };
}

/**
 * Every verification is recorded here: how often and when a code was checked at this terminal
 * (the classic sign of a copied code is many checks of one code). Bounded by
 * QueryLogMaintenance (retention, row caps, truncating checkpoints); a full disk is the fault
 * `disk_full` naming the file, never a bare SqliteError.
 */
export class QueryLog {
  readonly db: SqliteDatabase;
  readonly #options: QueryLogOptions;
  #sinceNudge = 0;
  readonly #history;
  readonly #insert;
  readonly #recent;
  readonly #perHour;
  readonly #get;
  readonly #reportOf;
  readonly #saveReport;

  constructor(db: SqliteDatabase, options: QueryLogOptions = {}) {
    this.db = db;
    this.#options = options;
    migrate(db, 'verify', STEPS);
    this.#history = db.prepare<[string], { checks: number; first_at: string; last_at: string }>(
      'SELECT checks, first_at, last_at FROM verify_code_stats WHERE key = ?',
    );
    const insert = db.prepare(
      'INSERT INTO verify_checks (key, verdict, reason, source, device_id, checked_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const bump = db.prepare(
      `INSERT INTO verify_code_stats (key, checks, first_at, last_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET checks = checks + 1, last_at = excluded.last_at`,
    );
    this.#insert = db.transaction((e: CheckEntry): number => {
      const info = insert.run(e.key ?? null, e.verdict, e.reason, e.source, e.deviceId ?? null, e.checkedAt);
      if (e.key !== undefined) bump.run(e.key, e.checkedAt, e.checkedAt);
      return Number(info.lastInsertRowid);
    });
    this.#recent = db.prepare<[number], RawRow>(
      'SELECT id, key, verdict, reason, source, device_id, checked_at FROM verify_checks ORDER BY id DESC LIMIT ?',
    );
    this.#get = db.prepare<[number], RawRow>(
      'SELECT id, key, verdict, reason, source, device_id, checked_at FROM verify_checks WHERE id = ?',
    );
    this.#reportOf = db.prepare<[number], { record_id: string; seq: number }>(
      'SELECT record_id, seq FROM verify_reports WHERE check_id = ?',
    );
    this.#saveReport = db.prepare(
      'INSERT INTO verify_reports (check_id, record_id, seq, reported_at) VALUES (?, ?, ?, ?)',
    );
    this.#perHour = db.prepare<[string], { hour: string; verdict: string; n: number }>(
      `SELECT substr(checked_at, 1, 13) AS hour, verdict, COUNT(*) AS n FROM verify_checks
       WHERE checked_at >= ? GROUP BY hour, verdict ORDER BY hour`,
    );
  }

  /** One check by id (reports refer to checks, so a page cannot claim a verdict it was not given). */
  get(id: number): CheckRow | undefined {
    const row = this.#get.get(id);
    return row ? toRow(row) : undefined;
  }

  /** The alert record already filed for a check, if any. */
  reportOf(checkId: number): { recordId: string; seq: number } | undefined {
    const row = this.#reportOf.get(checkId);
    return row ? { recordId: row.record_id, seq: row.seq } : undefined;
  }

  saveReport(checkId: number, recordId: string, seq: number, at: string): void {
    this.#saveReport.run(checkId, recordId, seq, at);
  }

  /** History of a code before the current check (checks here, first and last). */
  history(key: string): CheckHistory {
    const row = this.#history.get(key);
    if (!row) return { checksHere: 0 };
    return { checksHere: row.checks, firstCheckedAt: row.first_at, lastCheckedAt: row.last_at };
  }

  /** Records one check; returns its id. Throws `disk_full` (nothing recorded) when the disk is full. */
  record(entry: CheckEntry): number {
    let id: number;
    try {
      id = this.#insert(entry);
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      const fault = diskFullError(this.#options.file ?? this.db.name, error);
      this.#options.onDiskFull?.(fault);
      throw fault;
    }
    const nudge = this.#options.onRecorded;
    if (nudge && ++this.#sinceNudge >= nudge.everyChecks) {
      this.#sinceNudge = 0;
      // After this scan's handler (its answer is written by then), before the next I/O callback:
      // setImmediate could wait for seconds while a flood keeps the event loop's poll phase busy.
      process.nextTick(nudge.run);
    }
    return id;
  }

  /** The most recent checks, newest first (manager page). */
  recent(limit = 50): CheckRow[] {
    return this.#recent.all(limit).map(toRow);
  }

  /** Checks per hour and verdict since an ISO time (manager charts). Hours are `YYYY-MM-DDTHH` (UTC). */
  perHour(sinceIso: string): { hour: string; verdict: string; n: number }[] {
    return this.#perHour.all(sinceIso);
  }
}

function toRow(r: RawRow): CheckRow {
  return {
    id: r.id,
    key: r.key ?? undefined,
    verdict: r.verdict as VerdictKind,
    reason: r.reason,
    source: r.source,
    ...(r.device_id ? { deviceId: r.device_id } : {}),
    checkedAt: r.checked_at,
  };
}

interface RawRow {
  id: number;
  key: string | null;
  verdict: string;
  reason: string;
  source: string;
  device_id: string | null;
  checked_at: string;
}
