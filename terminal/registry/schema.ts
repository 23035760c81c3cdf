import { migrate, type SqliteDatabase } from '../db/open-database.js';
import type { RegistryState } from './types.js';

/**
 * Registry tables (module `registry`, append-only steps). Sized for ten million units:
 * units are a WITHOUT ROWID table keyed by (product ref, serial) where the serial is an INTEGER
 * whenever that is lossless (all cn20 codes, numeric GS1 serials) and a BLOB otherwise, so a
 * unit row is ~15–25 bytes instead of a 20–38 character text key plus a rowid index.
 */
export const REGISTRY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE registry_products (
     pid INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     name_zh TEXT NOT NULL,
     name_en TEXT NOT NULL,
     manufacturer TEXT NOT NULL,
     spec TEXT,
     covered INTEGER NOT NULL,
     withdrawn INTEGER NOT NULL
   );
   CREATE TABLE registry_batches (
     bid INTEGER PRIMARY KEY,
     pid INTEGER NOT NULL,
     number TEXT NOT NULL,
     production_date TEXT,
     expiry_date TEXT,
     recalled INTEGER NOT NULL,
     recall_reason TEXT,
     UNIQUE (pid, number)
   );
   CREATE TABLE registry_units (
     pid INTEGER NOT NULL,
     serial INTEGER NOT NULL,
     status INTEGER NOT NULL,
     bid INTEGER,
     sold_store TEXT,
     sold_at TEXT,
     checks INTEGER,
     PRIMARY KEY (pid, serial)
   ) WITHOUT ROWID;
   CREATE TABLE registry_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     scope TEXT NOT NULL,
     version INTEGER NOT NULL,
     created TEXT NOT NULL,
     expires TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     products INTEGER NOT NULL,
     batches INTEGER NOT NULL,
     units INTEGER NOT NULL,
     manifest TEXT NOT NULL,
     imported_at TEXT NOT NULL
   );
   CREATE TABLE registry_trust (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     root TEXT NOT NULL,
     root_version INTEGER NOT NULL,
     scope TEXT,
     pinned_at TEXT NOT NULL
   );`,
  // Splittable products (拆零): the body's `packQuantity:unit` field, NULL for whole packs only.
  'ALTER TABLE registry_products ADD COLUMN split TEXT;',
];

export function migrateRegistry(db: SqliteDatabase): void {
  migrate(db, 'registry', REGISTRY_MIGRATIONS);
}

/** A `registry_state` row as SQLite returns it. */
export interface RegistryStateRow {
  scope: string;
  version: number;
  created: string;
  expires: string;
  units: number;
  content_hash: string;
}

/** The row as the RegistryReader contract names it (`created` is the as-of time). */
export function registryStateFromRow(row: RegistryStateRow): RegistryState {
  return {
    scope: row.scope,
    version: row.version,
    asOf: row.created,
    expires: row.expires,
    units: row.units,
    contentHash: row.content_hash,
  };
}
