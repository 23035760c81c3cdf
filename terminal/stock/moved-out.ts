import type { SqliteDatabase } from '../db/open-database.js';
import { migrateStock } from './schema.js';
import type { OutMove } from './unit-state.js';

/** A unit that left this store's stock by a move out, and the ledger record that moved it. */
export interface MovedOut {
  move: OutMove;
  /** Sequence of the `stock_out` or `stock_adjustment` record. */
  seq: number;
}

/**
 * Whether a unit left this store's stock (destroyed, transferred, returned to the supplier, written
 * off as lost), for verdicts: the checkout refuses such a unit at once, from the terminal's own
 * `stock_moves` (docs/stock.md "Checkout reads stock"), without waiting for upstream's registry
 * delta. One indexed lookup per unit code (product key's unique index, then the move's primary
 * key); a unit found again by a stocktake (`found`) is back in stock and answers undefined.
 */
export class MovedOutUnits {
  private readonly lookup;

  constructor(db: SqliteDatabase) {
    // Idempotent: a terminal that never shipped anything answers "not moved" instead of failing.
    migrateStock(db);
    this.lookup = db.prepare(
      `SELECT m.state AS move, m.seq AS seq FROM receiving_products p
       JOIN stock_moves m ON m.product = p.id AND m.rest = ?
       WHERE p.key = ? AND m.state <> 'found'`,
    );
  }

  /** The unit's move out, or undefined (in stock, sold, or never here). `key` starts with `productKey`. */
  of(key: string, productKey: string): MovedOut | undefined {
    if (!key.startsWith(productKey)) return undefined;
    return this.lookup.get(key.slice(productKey.length), productKey) as MovedOut | undefined;
  }
}
