import type { SqliteDatabase } from '../db/open-database.js';
import { migrateReceiving } from './schema.js';
import { RECEIVED } from './stock.js';

/**
 * What receiving knows of one unit code, for verdicts (docs/receiving.md, "Verdicts use it"):
 * `received` (it or its container checked in here, neither put aside), `expected` (on a note here,
 * not checked in), `put_aside` (rejected at the back door: not stock).
 */
export interface UnitReceipt {
  state: 'received' | 'expected' | 'put_aside';
  deliveryId: string;
  supplierName: string;
  /** When the delivery was closed (ISO); absent while it is still being checked in. */
  closedAt?: string;
}

/** A unit on no note here: never received by this store. */
export type UnitReceiptState = UnitReceipt['state'] | 'not_received';

/**
 * One indexed lookup per unit (product key → its id, then the unit's primary key, its container's
 * and its note's): the cost checkout pays per line when `receiving.mode` is `warn` or `enforce`.
 * Whether the unit is sold is not read here: the verdict knows it already (an active write-off
 * makes it `already_sold`), so a unit sold and returned counts as received again, as in stock.
 */
/** The columns of one unit's receipt, for a key given as product key + rest. */
const RECEIPT_COLUMNS = `n.delivery_id AS deliveryId, n.supplier_name AS supplierName, n.closed_at AS closedAt,
  ${RECEIVED} AS received, (u.state = 2 OR c.state = 3) AS aside`;

interface ReceiptRow {
  deliveryId: string;
  supplierName: string;
  closedAt: string | null;
  received: number;
  aside: number;
}

/** Baskets up to this many units share one statement (a sale's lines); larger ones go in chunks. */
const MAX_BATCH = 64;

/**
 * One indexed lookup per unit (product key → its id, then the unit's primary key, its container's
 * and its note's): the cost checkout pays per line when `receiving.mode` is `warn` or `enforce`.
 * A basket's units go in one statement (`ofMany`), which saves the per-call cost of the driver.
 * Whether the unit is sold is not read here: the verdict knows it already (an active write-off
 * makes it `already_sold`), so a unit sold and returned counts as received again, as in stock.
 */
export class ReceivedUnits {
  private readonly db: SqliteDatabase;
  private readonly lookup;
  /** `ofMany` statements by number of units. */
  private readonly batches = new Map<number, ReturnType<SqliteDatabase['prepare']>>();

  constructor(db: SqliteDatabase) {
    // Receiving's tables live in terminal.db (idempotent): a terminal that never imported a note
    // answers "not received" for every unit instead of failing.
    migrateReceiving(db);
    this.db = db;
    this.lookup = db.prepare(
      `SELECT ${RECEIPT_COLUMNS}
       FROM receiving_products p
       JOIN receiving_units u ON u.product = p.id
       JOIN receiving_containers c ON c.id = u.container
       JOIN receiving_notes n ON n.id = c.note
       WHERE p.key = ? AND u.rest = ?`,
    );
  }

  /** The unit with canonical key `key` (terminal/codes) whose product key is `productKey`. */
  of(key: string, productKey: string): UnitReceipt | undefined {
    if (!key.startsWith(productKey)) return undefined;
    const row = this.lookup.get(productKey, key.slice(productKey.length)) as ReceiptRow | undefined;
    return row ? toReceipt(row) : undefined;
  }

  /** `of` for a basket: unit key → its receipt (units on no note are absent). */
  ofMany(units: readonly { key: string; productKey: string }[]): Map<string, UnitReceipt> {
    const out = new Map<string, UnitReceipt>();
    const valid = units.filter((u) => u.key.startsWith(u.productKey));
    for (let i = 0; i < valid.length; i += MAX_BATCH) {
      const chunk = valid.slice(i, i + MAX_BATCH);
      const params = chunk.flatMap((u) => [u.productKey, u.key.slice(u.productKey.length)]);
      for (const row of this.batch(chunk.length).all(params) as (ReceiptRow & { key: string })[])
        out.set(row.key, toReceipt(row));
    }
    return out;
  }

  /** `not_received` for a unit on no note here, else its receipt's state. */
  stateOf(key: string, productKey: string): UnitReceiptState {
    return this.of(key, productKey)?.state ?? 'not_received';
  }

  private batch(size: number) {
    let statement = this.batches.get(size);
    if (!statement) {
      // The keys drive the join (CROSS JOIN keeps that order): per key, the same index probes as `of`.
      statement = this.db.prepare(
        `WITH k (pk, rest) AS (VALUES ${Array.from({ length: size }, () => '(?, ?)').join(', ')})
         SELECT k.pk || k.rest AS key, ${RECEIPT_COLUMNS}
         FROM k
         CROSS JOIN receiving_products p ON p.key = k.pk
         CROSS JOIN receiving_units u ON u.product = p.id AND u.rest = k.rest
         CROSS JOIN receiving_containers c ON c.id = u.container
         CROSS JOIN receiving_notes n ON n.id = c.note`,
      );
      this.batches.set(size, statement);
    }
    return statement;
  }
}

function toReceipt(row: ReceiptRow): UnitReceipt {
  return {
    state: row.aside ? 'put_aside' : row.received ? 'received' : 'expected',
    deliveryId: row.deliveryId,
    supplierName: row.supplierName,
    ...(row.closedAt ? { closedAt: row.closedAt } : {}),
  };
}
