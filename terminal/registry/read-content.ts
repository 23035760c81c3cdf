import { openDatabase } from '../db/open-database.js';
import { UNIT_STATUSES, unitKeyOf } from './body-format.js';
import { batchFromRow, productFromRow } from './content-rows.js';
import type { RegistryStore } from './store.js';
import type { RegistryBatch, RegistryProduct, RegistryState, RegistryUnit } from './types.js';

type Row = Record<string, unknown>;

/**
 * A registry's whole content, in the order `buildSnapshot` takes it (products by key, batches by
 * product key and number, units by key), read from one WAL snapshot of the database.
 */
export interface RegistryContent {
  state: RegistryState;
  products: Iterable<RegistryProduct>;
  batches: Iterable<RegistryBatch>;
  units: Iterable<RegistryUnit>;
}

/**
 * The unit's canonical key as SQL computes it, only to order by: the product key, then a cn20
 * serial padded to 13 digits or `21` and a GS1 serial (body-format.ts unitKeyOf). Keys are ASCII,
 * so SQLite's byte order is the writer's string order.
 */
const UNIT_KEY_SQL = `p.key || CASE WHEN length(p.key) = 7 THEN printf('%013d', u.serial)
  ELSE '21' || CAST(u.serial AS TEXT) END`;

/**
 * Reads a registry back as snapshot input: what a publisher needs to re-issue its current content
 * as a fresh snapshot (upstream/registry-delta-builder.ts). Opens its own read-only connection and
 * holds one read transaction until `close()`, so an import landing meanwhile is not half seen.
 * Streams: ten million units are never in memory at once.
 */
export function readRegistryContent(store: RegistryStore | string): RegistryContent & { close(): void } {
  const db = openDatabase(typeof store === 'string' ? store : store.file, { readonly: true });
  db.exec('BEGIN');
  const close = () => {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  };
  try {
    const stateRow = db
      .prepare(
        'SELECT scope, version, created, expires, units, content_hash FROM registry_state WHERE id = 1',
      )
      .get() as Row | undefined;
    if (!stateRow) throw new Error('the registry is empty: nothing to read');
    const state: RegistryState = {
      scope: stateRow.scope as string,
      version: stateRow.version as number,
      asOf: stateRow.created as string,
      expires: stateRow.expires as string,
      units: stateRow.units as number,
      contentHash: stateRow.content_hash as string,
    };
    const products = function* () {
      for (const row of db
        .prepare('SELECT * FROM registry_products ORDER BY key')
        .iterate() as Iterable<Row>) {
        yield productFromRow(row);
      }
    };
    const batches = function* () {
      const rows = db
        .prepare(
          `SELECT p.key AS productKey, b.* FROM registry_batches b JOIN registry_products p ON p.pid = b.pid
           ORDER BY p.key || char(9) || b.number`,
        )
        .iterate() as Iterable<Row>;
      for (const row of rows) {
        yield batchFromRow(row, row.productKey as string);
      }
    };
    const units = function* () {
      const rows = db
        .prepare(
          `SELECT p.key AS productKey, u.serial, u.status, b.number AS batchNumber, u.sold_store, u.sold_at, u.checks
             FROM registry_units u JOIN registry_products p ON p.pid = u.pid
             LEFT JOIN registry_batches b ON b.bid = u.bid
            ORDER BY ${UNIT_KEY_SQL}`,
        )
        .iterate() as Iterable<Row>;
      for (const row of rows) {
        const productKey = row.productKey as string;
        const u: RegistryUnit = {
          key: unitKeyOf(productKey, row.serial as number | Buffer),
          status: UNIT_STATUSES[row.status as number]!,
          productKey,
        };
        if (row.batchNumber !== null) u.batchNumber = row.batchNumber as string;
        if (row.sold_store !== null)
          u.soldAt = { store: row.sold_store as string, at: row.sold_at as string };
        if (row.checks !== null) u.upstreamChecks = row.checks as number;
        yield u;
      }
    };
    return { state, products: products(), batches: batches(), units: units(), close };
  } catch (error) {
    close();
    throw error;
  }
}
