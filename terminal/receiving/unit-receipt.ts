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

/** One unit's receipt as a raw row: delivery id, supplier name, closed at, received, put aside. */
type ReceiptRow = [string, string, string | null, number, number];
const RECEIPT_COLUMNS = `n.delivery_id, n.supplier_name, n.closed_at, ${RECEIVED}, (u.state = 2 OR c.state = 3)`;

/** Baskets up to this many units share one statement (a sale's lines); larger ones go in chunks. */
const MAX_BATCH = 64;

/**
 * One indexed lookup per unit (the unit's primary key, its container's and its note's): the cost
 * checkout pays per line when `receiving.mode` is `warn` or `enforce`. Measured, not guessed
 * (`npm run bench -- receiving`): a basket's units go in one statement (`ofMany`), which saves the
 * driver's per-call cost, and product keys map to their small ids in memory (ids are never reused
 * or changed, so a cached id stays right; a product not seen yet is looked up each time).
 * Whether the unit is sold is not read here: the verdict knows it already (an active write-off
 * makes it `already_sold`), so a unit sold and returned counts as received again, as in stock.
 */
export class ReceivedUnits {
  private readonly db: SqliteDatabase;
  private readonly lookup;
  private readonly productId;
  private readonly products = new Map<string, number>();
  /** `ofMany` statements by number of units. */
  private readonly batches = new Map<number, ReturnType<SqliteDatabase['prepare']>>();

  constructor(db: SqliteDatabase) {
    // Receiving's tables live in terminal.db (idempotent): a terminal that never imported a note
    // answers "not received" for every unit instead of failing.
    migrateReceiving(db);
    this.db = db;
    this.productId = db.prepare('SELECT id FROM receiving_products WHERE key = ?').pluck();
    this.lookup = db
      .prepare(
        `SELECT ${RECEIPT_COLUMNS}
         FROM receiving_units u
         JOIN receiving_containers c ON c.id = u.container
         JOIN receiving_notes n ON n.id = c.note
         WHERE u.product = ? AND u.rest = ?`,
      )
      .raw();
  }

  /** The unit with canonical key `key` (terminal/codes) whose product key is `productKey`. */
  of(key: string, productKey: string): UnitReceipt | undefined {
    const product = this.idOf(key, productKey);
    if (product === undefined) return undefined;
    const row = this.lookup.get(product, key.slice(productKey.length)) as ReceiptRow | undefined;
    return row ? toReceipt(row) : undefined;
  }

  /** `of` for a basket: unit key → its receipt (units on no note are absent). */
  ofMany(units: readonly { key: string; productKey: string }[]): Map<string, UnitReceipt> {
    const out = new Map<string, UnitReceipt>();
    const known: { key: string; product: number; rest: string }[] = [];
    for (const u of units) {
      const product = this.idOf(u.key, u.productKey);
      if (product !== undefined) known.push({ key: u.key, product, rest: u.key.slice(u.productKey.length) });
    }
    for (let i = 0; i < known.length; i += MAX_BATCH) {
      const chunk = known.slice(i, i + MAX_BATCH);
      const params: (number | string)[] = [];
      for (const [j, u] of chunk.entries()) params.push(j, u.product, u.rest);
      for (const row of this.batch(chunk.length).all(params) as [number, ...ReceiptRow][])
        out.set(chunk[row[0]]!.key, toReceipt(row.slice(1) as ReceiptRow));
    }
    return out;
  }

  /** `not_received` for a unit on no note here, else its receipt's state. */
  stateOf(key: string, productKey: string): UnitReceiptState {
    return this.of(key, productKey)?.state ?? 'not_received';
  }

  private idOf(key: string, productKey: string): number | undefined {
    if (!key.startsWith(productKey)) return undefined;
    let id = this.products.get(productKey);
    if (id === undefined) {
      id = this.productId.get(productKey) as number | undefined;
      if (id !== undefined) this.products.set(productKey, id);
    }
    return id;
  }

  private batch(size: number) {
    let statement = this.batches.get(size);
    if (!statement) {
      // The keys drive the join (CROSS JOIN keeps that order): per key, the same probes as `of`.
      statement = this.db
        .prepare(
          `WITH k (i, product, rest) AS (VALUES ${Array.from({ length: size }, () => '(?, ?, ?)').join(', ')})
           SELECT k.i, ${RECEIPT_COLUMNS}
           FROM k
           CROSS JOIN receiving_units u ON u.product = k.product AND u.rest = k.rest
           CROSS JOIN receiving_containers c ON c.id = u.container
           CROSS JOIN receiving_notes n ON n.id = c.note`,
        )
        .raw();
      this.batches.set(size, statement);
    }
    return statement;
  }
}

function toReceipt([deliveryId, supplierName, closedAt, received, aside]: ReceiptRow): UnitReceipt {
  return {
    state: aside ? 'put_aside' : received ? 'received' : 'expected',
    deliveryId,
    supplierName,
    ...(closedAt ? { closedAt } : {}),
  };
}
