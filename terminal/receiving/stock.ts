import type { SqliteDatabase } from '../db/open-database.js';
import { unitKeyOf } from './unit-key.js';

/** On hand per product: received here − sold (an active write-off) − put aside; returns count again. */
export interface ProductStock {
  productKey: string;
  received: number;
  sold: number;
  onHand: number;
}

export type UnitStock =
  | { key: string; state: 'not_received' | 'expected' | 'put_aside'; onHand: false; deliveryId?: string }
  | { key: string; state: 'sold'; onHand: false; deliveryId: string }
  | { key: string; state: 'on_hand'; onHand: true; deliveryId: string };

/** A unit counts as received when it or its container is checked in, and neither is put aside (SQL over `u`, `c`). */
export const RECEIVED = `c.state <> 3 AND (u.state = 1 OR (u.state = 0 AND c.state = 1))`;
/** Sold: the ledger's active write-off of the unit (a return takes it back: on hand again). */
const SOLD = `EXISTS (SELECT 1 FROM ledger_write_offs w WHERE w.code_key = p.key || u.rest AND w.returned_seq IS NULL)`;

/**
 * The store's own stock at unit level (docs/receiving.md): on hand = received − sold + returned;
 * shipped out and destroyed will subtract once those operations exist. Reads the receiving tables
 * and the ledger's write-offs, which live in the same terminal database.
 */
export class StockReader {
  private readonly q;

  constructor(db: SqliteDatabase) {
    this.q = {
      counts: db.prepare(
        `SELECT p.key AS productKey, count(*) AS received, sum(${SOLD}) AS sold
         FROM receiving_units u
         JOIN receiving_containers c ON c.id = u.container
         JOIN receiving_products p ON p.id = u.product
         WHERE ${RECEIVED}
         GROUP BY u.product ORDER BY p.key`,
      ),
      unit: db.prepare(
        `SELECT n.delivery_id AS deliveryId, ${RECEIVED} AS received, ${SOLD} AS sold,
           (u.state = 2 OR c.state = 3) AS aside
         FROM receiving_products p
         JOIN receiving_units u ON u.product = p.id
         JOIN receiving_containers c ON c.id = u.container
         JOIN receiving_notes n ON n.id = c.note
         WHERE p.key = ? AND u.rest = ?`,
      ),
    };
  }

  countsByProduct(): ProductStock[] {
    return (this.q.counts.all() as Omit<ProductStock, 'onHand'>[]).map((r) => ({
      ...r,
      onHand: r.received - r.sold,
    }));
  }

  /** Whether one unit (any code form the reader accepts) is on hand in this store, and why not. */
  unit(code: string): UnitStock {
    const read = unitKeyOf(code);
    if (!read.ok) return { key: code, state: 'not_received', onHand: false };
    const row = this.q.unit.get(read.productKey, read.rest) as
      | { deliveryId: string; received: number; sold: number; aside: number }
      | undefined;
    if (!row) return { key: read.key, state: 'not_received', onHand: false };
    const { deliveryId } = row;
    if (row.aside) return { key: read.key, state: 'put_aside', onHand: false, deliveryId };
    if (!row.received) return { key: read.key, state: 'expected', onHand: false, deliveryId };
    if (row.sold) return { key: read.key, state: 'sold', onHand: false, deliveryId };
    return { key: read.key, state: 'on_hand', onHand: true, deliveryId };
  }
}

/** `product,received,sold,on_hand` lines for `veriterm stock --csv`. */
export function stockCsv(rows: readonly ProductStock[]): string {
  const lines = ['product,received,sold,on_hand'];
  for (const r of rows) lines.push(`${r.productKey},${r.received},${r.sold},${r.onHand}`);
  return `${lines.join('\n')}\n`;
}
