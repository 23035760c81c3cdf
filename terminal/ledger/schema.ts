import { migrate, type SqliteDatabase } from '../db/open-database.js';
import { SPLIT_PARTS_MIGRATION } from './split-parts.js';

/**
 * The ledger's tables. `ledger_records` is the truth: append-only (triggers refuse UPDATE and
 * DELETE) and gap-free (a trigger refuses any seq other than max+1). Every other table is a
 * projection of the records, written in the same transaction as the record it derives from:
 * - `ledger_outbox`: seqs not yet acknowledged by upstream;
 * - `ledger_write_offs`: one row per write_off record; a partial unique index allows at most
 *   one *active* (not returned) write-off per code key, so a double write-off cannot commit
 *   even if two processes race past the service's own check;
 * - `ledger_sales` / `ledger_returns`: lookup by id and by the caller's externalRef (idempotency).
 * Steps are append-only: never edit a shipped step.
 */
export const LEDGER_MIGRATIONS: readonly string[] = [
  `CREATE TABLE ledger_records (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     at TEXT NOT NULL,
     store_id TEXT NOT NULL,
     terminal_id TEXT NOT NULL,
     payload TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL,
     signature TEXT NOT NULL
   );
   CREATE INDEX ledger_records_at ON ledger_records (at);
   CREATE TRIGGER ledger_records_gap_free BEFORE INSERT ON ledger_records
     WHEN NEW.seq IS NOT (SELECT IFNULL(MAX(seq), 0) + 1 FROM ledger_records)
     BEGIN SELECT RAISE(ABORT, 'ledger_seq_gap'); END;
   CREATE TRIGGER ledger_records_no_update BEFORE UPDATE ON ledger_records
     BEGIN SELECT RAISE(ABORT, 'ledger_append_only'); END;
   CREATE TRIGGER ledger_records_no_delete BEFORE DELETE ON ledger_records
     BEGIN SELECT RAISE(ABORT, 'ledger_append_only'); END;
   CREATE TABLE ledger_outbox (seq INTEGER PRIMARY KEY REFERENCES ledger_records (seq));
   CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE ledger_write_offs (
     seq INTEGER PRIMARY KEY REFERENCES ledger_records (seq),
     record_id TEXT NOT NULL,
     code_key TEXT NOT NULL,
     sale_id TEXT NOT NULL,
     at TEXT NOT NULL,
     store_id TEXT NOT NULL,
     terminal_id TEXT NOT NULL,
     returned_seq INTEGER REFERENCES ledger_records (seq)
   );
   CREATE UNIQUE INDEX ledger_write_offs_active ON ledger_write_offs (code_key) WHERE returned_seq IS NULL;
   CREATE INDEX ledger_write_offs_code ON ledger_write_offs (code_key);
   CREATE INDEX ledger_write_offs_sale ON ledger_write_offs (sale_id);
   CREATE TABLE ledger_sales (
     sale_id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL REFERENCES ledger_records (seq),
     external_ref TEXT UNIQUE,
     at TEXT NOT NULL
   );
   CREATE TABLE ledger_returns (
     return_id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL REFERENCES ledger_records (seq),
     external_ref TEXT UNIQUE,
     at TEXT NOT NULL
   );`,
  // The partial unique index already serves every lookup by code; one index less per write-off.
  'DROP INDEX IF EXISTS ledger_write_offs_code;',
  // Returned write-offs by code, for the verdict of a unit the registry says was sold here and a
  // return here took back (LedgerReads.returnedWriteOffOf). Partial: a sale's write-off rows are
  // inserted with returned_seq NULL and never enter it, so the checkout pays nothing for it.
  'CREATE INDEX ledger_write_offs_returned ON ledger_write_offs (code_key, at) WHERE returned_seq IS NOT NULL;',
  // Split-pack sale lines (split-parts.ts). A ledger from before has none: the table starts empty.
  SPLIT_PARTS_MIGRATION,
];

export function migrateLedger(db: SqliteDatabase): void {
  migrate(db, 'ledger', LEDGER_MIGRATIONS);
}
