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
export class ReceivedUnits {
  private readonly lookup;

  constructor(db: SqliteDatabase) {
    // Receiving's tables live in terminal.db (idempotent): a terminal that never imported a note
    // answers "not received" for every unit instead of failing.
    migrateReceiving(db);
    this.lookup = db.prepare(
      `SELECT n.delivery_id AS deliveryId, n.supplier_name AS supplierName, n.closed_at AS closedAt,
         ${RECEIVED} AS received, (u.state = 2 OR c.state = 3) AS aside
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
    const row = this.lookup.get(productKey, key.slice(productKey.length)) as
      | { deliveryId: string; supplierName: string; closedAt: string | null; received: number; aside: number }
      | undefined;
    if (!row) return undefined;
    const state = row.aside ? 'put_aside' : row.received ? 'received' : 'expected';
    return {
      state,
      deliveryId: row.deliveryId,
      supplierName: row.supplierName,
      ...(row.closedAt ? { closedAt: row.closedAt } : {}),
    };
  }

  /** `of`'s state, `not_received` for a unit on no note here. */
  stateOf(key: string, productKey: string): UnitReceiptState {
    return this.of(key, productKey)?.state ?? 'not_received';
  }
}
