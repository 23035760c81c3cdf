import { migrate, type SqliteDatabase } from '../db/open-database.js';
import { migrateReceiving } from '../receiving/schema.js';

/**
 * Stock operations' tables, in terminal.db beside receiving's and the ledger's (module `stock` in
 * `schema_migrations`), so closing a session appends its signed record and changes the units it
 * moves in one transaction, and stock on hand stays one query (docs/stock.md).
 *
 * - `stock_moves`: each unit's latest move (out: returned_to_supplier, transferred, destroyed,
 *   lost; in: found), keyed like `receiving_units` (product id from `receiving_products`, rest of
 *   the key) so stock joins it on the primary key; `found_in` marks a unit that entered stock by
 *   an adjustment without being received here (never cleared). A projection of `stock_out` and
 *   `stock_adjustment` records, written with them.
 * - `stock_sessions`: stocktakes and shipping-out sessions (open → closed → accepted).
 * - `stock_session_units`: units scanned in a session (a unit once per session); for a stocktake
 *   `bad` keeps the registry problem met at the scan.
 * - `stock_session_containers`: containers scanned whole in a stocktake (their units count as
 *   found when the report is made, without expanding them at the scan).
 * Steps are append-only.
 */
export const STOCK_MIGRATIONS: readonly string[] = [
  `CREATE TABLE stock_moves (
     product INTEGER NOT NULL,
     rest TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('returned_to_supplier', 'transferred', 'destroyed', 'lost', 'found')),
     found_in INTEGER NOT NULL DEFAULT 0,
     seq INTEGER NOT NULL,
     PRIMARY KEY (product, rest)
   ) WITHOUT ROWID;
   CREATE TABLE stock_sessions (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL CHECK (type IN ('stocktake', 'stock_out')),
     state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'accepted', 'cancelled')),
     -- JSON: a stocktake's scope, a shipment's kind, reason, note and counterpart.
     params TEXT NOT NULL,
     opened_by TEXT NOT NULL,
     opened_at TEXT NOT NULL,
     closed_at TEXT,
     record_id TEXT,
     record_seq INTEGER,
     accepted_record_id TEXT,
     -- Units scanned in the session (bounded: a scan past the bound is refused).
     units INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX stock_sessions_open ON stock_sessions (type) WHERE state = 'open';
   CREATE TABLE stock_session_units (
     session TEXT NOT NULL,
     product INTEGER NOT NULL,
     rest TEXT NOT NULL,
     bad TEXT,
     PRIMARY KEY (session, product, rest)
   ) WITHOUT ROWID;
   CREATE TABLE stock_session_containers (
     session TEXT NOT NULL,
     container INTEGER NOT NULL,
     PRIMARY KEY (session, container)
   ) WITHOUT ROWID;`,
];

/** Receiving's tables first: stock moves name receiving's product ids. */
export function migrateStock(db: SqliteDatabase): void {
  migrateReceiving(db);
  migrate(db, 'stock', STOCK_MIGRATIONS);
}
