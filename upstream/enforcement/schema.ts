import { migrate, type SqliteDatabase } from '../../terminal/db/open-database.js';

/**
 * The enforcement feed's tables (SQLite), beside upstream's own (ingest-store.ts) in the same file
 * and applied by the same `migrate`, under their own module name. Steps are append-only.
 */
export const ENFORCEMENT_MIGRATIONS: readonly string[] = [
  // One row per counterfeit signal, its evidence as JSON (evidence.ts). Unique per terminal, kind,
  // seq and code so a re-ingest or a resend raises nothing twice (seq 0 / code '' when none).
  // `detected_at` is upstream's clock (ISO, UTC, fixed width: compared as text); `at` the record's.
  `CREATE TABLE enf_alerts (
     id INTEGER PRIMARY KEY, detected_at TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
     source TEXT NOT NULL, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
     seq INTEGER NOT NULL DEFAULT 0, other_store_id TEXT, other_terminal_id TEXT,
     code TEXT NOT NULL DEFAULT '', product TEXT NOT NULL DEFAULT '', message TEXT NOT NULL,
     evidence TEXT NOT NULL,
     UNIQUE (store_id, terminal_id, kind, seq, code));
   CREATE INDEX enf_alerts_detected ON enf_alerts (detected_at);
   CREATE INDEX enf_alerts_store ON enf_alerts (store_id, detected_at);
   CREATE INDEX enf_alerts_other_store ON enf_alerts (other_store_id, detected_at)
     WHERE other_store_id IS NOT NULL;
   CREATE INDEX enf_alerts_product ON enf_alerts (product, detected_at);
   CREATE INDEX enf_alerts_code ON enf_alerts (code);`,
  // The latest write-off of each unit upstream has ingested, and whether a return took it back:
  // what a new write-off of the unit is checked against (a clone when that one still stands).
  // Sales ingested before this table existed are not in it.
  `CREATE TABLE enf_unit_sales (
     key TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL,
     record_id TEXT NOT NULL, at TEXT NOT NULL, returned INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;`,
];

export function migrateEnforcement(db: SqliteDatabase): void {
  migrate(db, 'enforcement', ENFORCEMENT_MIGRATIONS);
}
