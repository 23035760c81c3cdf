import { migrate, type SqliteDatabase } from '../db/open-database.js';

/**
 * Receiving's tables, in the terminal database (terminal.db) beside the ledger: closing a delivery
 * marks the note closed and appends its `receipt` record in one transaction, a note's replay nonce
 * is claimed in the same transaction that stores it (sync's nonce table lives there too), and
 * stock on hand joins the ledger's own write-offs (docs/receiving.md, "Storage").
 *
 * Compactness (stock of a million units, docs/benchmarks.md): a unit row is its product (a small
 * id), the rest of its key and its container; check-in state lives on containers, so scanning a
 * pallet writes one row per container, and a unit row changes only when the unit itself is
 * scanned or put aside. States: container 0 pending, 1 checked in, 2 opened (its units count one
 * by one); unit 0 as its container, 1 checked in itself, 2 put aside. Each note has one `loose`
 * container (no key, state opened) holding its loose units. A container's unit list (its own
 * units, one `productKey<TAB>rest` per line, in `receiving_unit_lists`) serves the open delivery
 * (what a pallet scan checks, what the receipt lists) and is deleted when the delivery closes, so
 * a closed delivery keeps only its unit rows (the pages go back to SQLite's free list).
 * Steps are append-only.
 */
export const RECEIVING_MIGRATIONS: readonly string[] = [
  `CREATE TABLE receiving_notes (
     id INTEGER PRIMARY KEY,
     delivery_id TEXT NOT NULL UNIQUE,
     content_hash TEXT NOT NULL,
     nonce TEXT NOT NULL,
     key_id TEXT,
     store_id TEXT NOT NULL,
     supplier_id TEXT NOT NULL,
     supplier_name TEXT NOT NULL,
     expected_arrival TEXT NOT NULL,
     issued_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     imported_at TEXT NOT NULL,
     units INTEGER NOT NULL,
     containers INTEGER NOT NULL,
     state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
     outcome TEXT CHECK (outcome IN ('complete', 'partial')),
     reason TEXT,
     closed_at TEXT,
     receipt_id TEXT,
     -- The delivery's counts when it closed (its unit lists are deleted then): JSON DeliveryCounts.
     closed_counts TEXT
   );
   CREATE TABLE receiving_products (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
   CREATE TABLE receiving_containers (
     id INTEGER PRIMARY KEY,
     note INTEGER NOT NULL REFERENCES receiving_notes (id),
     key TEXT UNIQUE,
     level TEXT NOT NULL CHECK (level IN ('pallet', 'case', 'loose')),
     parent INTEGER REFERENCES receiving_containers (id),
     state INTEGER NOT NULL DEFAULT 0,
     units INTEGER NOT NULL
   );
   CREATE TABLE receiving_unit_lists (
     container INTEGER PRIMARY KEY REFERENCES receiving_containers (id),
     list TEXT NOT NULL
   );
   CREATE INDEX receiving_containers_note ON receiving_containers (note);
   CREATE INDEX receiving_containers_parent ON receiving_containers (parent) WHERE parent IS NOT NULL;
   CREATE TABLE receiving_units (
     product INTEGER NOT NULL,
     rest TEXT NOT NULL,
     container INTEGER NOT NULL,
     state INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (product, rest)
   ) WITHOUT ROWID;
   CREATE TABLE receiving_exceptions (
     id INTEGER PRIMARY KEY,
     note INTEGER NOT NULL REFERENCES receiving_notes (id),
     key TEXT NOT NULL,
     reason TEXT NOT NULL,
     put_aside INTEGER NOT NULL DEFAULT 0,
     at TEXT NOT NULL,
     UNIQUE (note, key, reason)
   );`,
];

export function migrateReceiving(db: SqliteDatabase): void {
  migrate(db, 'receiving', RECEIVING_MIGRATIONS);
}
