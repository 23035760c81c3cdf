import { migrate, type SqliteDatabase } from '../db/open-database.js';
import { migrateLedger } from '../ledger/schema.js';
import { migrateReceiving } from '../receiving/schema.js';

/** While any stocktake is open: SQL that holds when at least one is. */
const COUNTING = `EXISTS (SELECT 1 FROM stock_sessions WHERE type = 'stocktake' AND state = 'open')`;

/**
 * Step 2, the change log of stock on hand while a stocktake is open (docs/stock.md "Stocktake"): a
 * whole-store stocktake keeps a snapshot of the units on hand taken once, and brings it up to date
 * from this log instead of reading a million units again. Triggers, so every writer of
 * terminal.db is seen (checkout, returns, receiving, shipping out, adjustments, a recovered
 * ledger), in the writer's own transaction. Nothing is logged while no stocktake is open; the log
 * is emptied when the last one closes, and `stock_change_epoch` moves on when the first opens,
 * so a snapshot from an earlier count is never taken for current. `kind` says what changed:
 * `write_off` (a sale or a return, by code key), `move` (shipped out, lost, found), `unit` (a unit
 * checked in or put aside by itself), `listed` (a unit row added for a unit that has a move, or in a container
 * checked in already: its container is new, or it is on hand by it), `container` (a pallet or case checked in, opened or put aside: its unit list
 * copied while receiving still holds it).
 */
const CHANGE_LOG = `CREATE TABLE stock_changes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     product INTEGER,
     rest TEXT,
     code_key TEXT,
     container INTEGER,
     list TEXT
   );
   CREATE TABLE stock_change_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL);
   INSERT INTO stock_change_epoch (id, epoch) VALUES (1, 0);
   CREATE TRIGGER stock_changes_sold AFTER INSERT ON ledger_write_offs WHEN ${COUNTING}
   BEGIN INSERT INTO stock_changes (kind, code_key) VALUES ('write_off', NEW.code_key); END;
   CREATE TRIGGER stock_changes_returned AFTER UPDATE OF returned_seq ON ledger_write_offs WHEN ${COUNTING}
   BEGIN INSERT INTO stock_changes (kind, code_key) VALUES ('write_off', NEW.code_key); END;
   CREATE TRIGGER stock_changes_moved AFTER INSERT ON stock_moves WHEN ${COUNTING}
   BEGIN INSERT INTO stock_changes (kind, product, rest) VALUES ('move', NEW.product, NEW.rest); END;
   CREATE TRIGGER stock_changes_moved_again AFTER UPDATE ON stock_moves WHEN ${COUNTING}
   BEGIN INSERT INTO stock_changes (kind, product, rest) VALUES ('move', NEW.product, NEW.rest); END;
   CREATE TRIGGER stock_changes_unit AFTER UPDATE OF state ON receiving_units WHEN ${COUNTING}
   BEGIN INSERT INTO stock_changes (kind, product, rest) VALUES ('unit', NEW.product, NEW.rest); END;
   CREATE TRIGGER stock_changes_listed AFTER INSERT ON receiving_units WHEN ${COUNTING}
     AND (NEW.state <> 0
       OR EXISTS (SELECT 1 FROM stock_moves m WHERE m.product = NEW.product AND m.rest = NEW.rest)
       OR EXISTS (SELECT 1 FROM receiving_containers c WHERE c.id = NEW.container AND c.state = 1))
   BEGIN INSERT INTO stock_changes (kind, product, rest) VALUES ('listed', NEW.product, NEW.rest); END;
   CREATE TRIGGER stock_changes_container AFTER UPDATE OF state ON receiving_containers
     WHEN OLD.state <> NEW.state AND ${COUNTING}
   BEGIN INSERT INTO stock_changes (kind, container, list)
     VALUES ('container', NEW.id, (SELECT list FROM receiving_unit_lists WHERE container = NEW.id)); END;
   CREATE TRIGGER stock_changes_start AFTER INSERT ON stock_sessions
     WHEN NEW.type = 'stocktake' AND NEW.state = 'open'
       AND (SELECT count(*) FROM stock_sessions WHERE type = 'stocktake' AND state = 'open') = 1
   BEGIN UPDATE stock_change_epoch SET epoch = epoch + 1; DELETE FROM stock_changes; END;
   CREATE TRIGGER stock_changes_stop AFTER UPDATE OF state ON stock_sessions
     WHEN OLD.type = 'stocktake' AND OLD.state = 'open' AND NOT ${COUNTING}
   BEGIN DELETE FROM stock_changes; END;`;

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
  CHANGE_LOG,
];

/** Receiving's and the ledger's tables first: stock moves name receiving's product ids, the change log watches both. */
export function migrateStock(db: SqliteDatabase): void {
  migrateLedger(db);
  migrateReceiving(db);
  migrate(db, 'stock', STOCK_MIGRATIONS);
}
