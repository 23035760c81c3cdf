import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/open-database.js';
import type { ProductStockView } from '../stock/stock-wire.js';
import { OUT_MOVES, type StockMove, stateOf, type UnitFacts } from '../stock/unit-state.js';
import { unitKeyOf } from './unit-key.js';

/**
 * Per product, units by their one current state (terminal/stock/unit-state.ts): on hand =
 * received + foundIn − sold − returnedToSupplier − transferred − destroyed − lost. A return
 * takes a sale back (the unit counts again), so "sold" is the active write-offs. The same shape
 * goes over the wire as it is (stock-wire.ts ProductStockView).
 */
export type ProductStock = ProductStockView;

export type UnitStockState =
  | 'not_received'
  | 'expected'
  | 'put_aside'
  | 'on_hand'
  | 'sold'
  | 'returned_to_supplier'
  | 'transferred'
  | 'destroyed'
  | 'lost';

export interface UnitStock {
  key: string;
  state: UnitStockState;
  onHand: boolean;
  /** The delivery note that listed it, when one did. */
  deliveryId?: string;
  /** A split pack opened here (拆零): parts left of the pack; the pack stays on hand until the last. */
  opened?: { remaining: number; packQuantity: number };
}

/** What the stock services need to know of one unit. */
export interface UnitRecord {
  key: string;
  productKey: string;
  rest: string;
  /** receiving_products id, when the product is known here. */
  productId: number | undefined;
  facts: UnitFacts;
  /** On a note here but not checked in, or put aside at receiving. */
  listed: 'expected' | 'put_aside' | 'received' | undefined;
  deliveryId?: string;
}

/** A unit counts as received when it or its container is checked in, and neither is put aside (SQL over `u`, `c`). */
export const RECEIVED = `(c.state <> 3 AND (u.state = 1 OR (u.state = 0 AND c.state = 1)))`;
const soldSql = (key: string) =>
  `EXISTS (SELECT 1 FROM ledger_write_offs w WHERE w.code_key = ${key} AND w.returned_seq IS NULL)`;
const OUT_LIST = OUT_MOVES.map((m) => `'${m}'`).join(', ');
/** Without stock operations' table yet (a database opened read-only): no moves. */
const NO_MOVES = `(SELECT 0 AS product, '' AS rest, '' AS state, 0 AS found_in WHERE 0)`;

/**
 * Every unit the store has had in stock (received here, or found by an adjustment), one row each
 * (`product`, `rest`, `container`, `received`, `move`, `foundIn`), optionally of some products
 * only (`scoped`: a JSON array of product ids bound as `:products`).
 */
function stockUnitsSql(moves: string, scoped: boolean): string {
  const inScope = (column: string) =>
    scoped ? `AND ${column} IN (SELECT value FROM json_each(:products))` : '';
  return `SELECT u.product AS product, u.rest AS rest, u.container AS container, ${RECEIVED} AS received,
       m.state AS move, coalesce(m.found_in, 0) AS foundIn
     FROM receiving_units u
     JOIN receiving_containers c ON c.id = u.container
     LEFT JOIN ${moves} m ON m.product = u.product AND m.rest = u.rest
     WHERE (${RECEIVED} OR m.found_in = 1) ${inScope('u.product')}
     UNION ALL
     SELECT m.product, m.rest, NULL, 0, m.state, m.found_in FROM ${moves} m
     WHERE m.found_in = 1 ${inScope('m.product')}
       AND NOT EXISTS (SELECT 1 FROM receiving_units u WHERE u.product = m.product AND u.rest = m.rest)`;
}

/** Each stock unit with its one state: a move out wins, then an active write-off, then on hand. */
function statedSql(moves: string, scoped: boolean): string {
  return `SELECT x.product, p.key AS productKey, x.rest, x.container, x.received, x.foundIn,
       CASE WHEN x.move IN (${OUT_LIST}) THEN x.move
            WHEN ${soldSql('p.key || x.rest')} THEN 'sold' ELSE 'on_hand' END AS state
     FROM (${stockUnitsSql(moves, scoped)}) x JOIN receiving_products p ON p.id = x.product`;
}

/**
 * The store's own stock at unit level (docs/stock.md): receiving's check-ins, the ledger's
 * active write-offs and stock operations' moves, all in terminal.db, read in one query.
 */
export class StockReader {
  private readonly q;
  private readonly parts: Statement | undefined;

  constructor(db: SqliteDatabase) {
    const has = (table: string) =>
      db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(table) !== undefined;
    const moves = has('stock_moves') ? 'stock_moves' : NO_MOVES;
    // Split packs sold in parts (terminal/ledger/split-parts.ts), when this ledger has them.
    this.parts = has('ledger_split_parts')
      ? db.prepare(
          `SELECT sum(quantity) AS sold, max(pack_quantity) AS pack FROM ledger_split_parts
           WHERE code_key = ? AND returned_seq IS NULL`,
        )
      : undefined;
    this.q = {
      counts: db.prepare(
        `SELECT productKey, sum(received) AS received, sum(foundIn AND NOT received) AS foundIn,
           sum(state = 'sold') AS sold, sum(state = 'returned_to_supplier') AS returnedToSupplier,
           sum(state = 'transferred') AS transferred, sum(state = 'destroyed') AS destroyed,
           sum(state = 'lost') AS lost, sum(state = 'on_hand') AS onHand
         FROM (${statedSql(moves, false)}) GROUP BY product ORDER BY productKey`,
      ),
      onHandAll: db.prepare(
        `SELECT product, rest, container FROM (${statedSql(moves, false)}) WHERE state = 'on_hand'`,
      ),
      onHandScoped: db.prepare(
        `SELECT product, rest, container FROM (${statedSql(moves, true)}) WHERE state = 'on_hand'`,
      ),
      productKeys: db.prepare('SELECT id, key FROM receiving_products'),
      unit: db.prepare(
        `SELECT p.id AS productId, n.delivery_id AS deliveryId, u.rest IS NOT NULL AS listed,
           coalesce(${RECEIVED}, 0) AS received, coalesce(u.state = 2 OR c.state = 3, 0) AS aside,
           m.state AS move, coalesce(m.found_in, 0) AS foundIn
         FROM receiving_products p
         LEFT JOIN receiving_units u ON u.product = p.id AND u.rest = :rest
         LEFT JOIN receiving_containers c ON c.id = u.container
         LEFT JOIN receiving_notes n ON n.id = c.note
         LEFT JOIN ${moves} m ON m.product = p.id AND m.rest = :rest
         WHERE p.key = :productKey`,
      ),
      sold: db.prepare(`SELECT ${soldSql('?')} AS sold`),
    };
  }

  countsByProduct(): ProductStock[] {
    return this.q.counts.all() as ProductStock[];
  }

  /**
   * Every unit on hand (of the given receiving product ids only, when given), as raw rows
   * `[product id, rest, container id or null]`: the stocktake's expected set. Product ids, not
   * keys, so a million rows do not make a million key strings (`productKeys()` maps them).
   */
  onHandUnits(productIds?: readonly number[]): IterableIterator<[number, string, number | null]> {
    const stmt = productIds ? this.q.onHandScoped : this.q.onHandAll;
    const params = productIds ? [{ products: JSON.stringify(productIds) }] : [];
    return stmt.raw(true).iterate(...params) as IterableIterator<[number, string, number | null]>;
  }

  /** Receiving's product ids → product keys. */
  productKeys(): Map<number, string> {
    return new Map((this.q.productKeys.raw(true).all() as [number, string][]).map(([id, key]) => [id, key]));
  }

  /** The stock facts of one unit key (split into product key and rest). */
  record(key: string, productKey: string, rest: string): UnitRecord {
    const row = this.q.unit.get({ productKey, rest }) as
      | {
          productId: number;
          deliveryId: string | null;
          listed: number;
          received: number;
          aside: number;
          move: StockMove | null;
          foundIn: number;
        }
      | undefined;
    const sold = (this.q.sold.get(key) as { sold: number }).sold === 1;
    const facts: UnitFacts = {
      received: row?.received === 1,
      sold,
      move: row?.move ?? null,
      foundIn: row?.foundIn === 1,
    };
    const listed = !row?.listed
      ? undefined
      : row.aside
        ? 'put_aside'
        : row.received
          ? 'received'
          : 'expected';
    return {
      key,
      productKey,
      rest,
      productId: row?.productId,
      facts,
      listed,
      ...(row?.deliveryId ? { deliveryId: row.deliveryId } : {}),
    };
  }

  /** Whether one unit (any code form the reader accepts) is on hand in this store, and why not. */
  unit(code: string): UnitStock {
    const read = unitKeyOf(code);
    if (!read.ok) return { key: code, state: 'not_received', onHand: false };
    const stock = unitStockOf(this.record(read.key, read.productKey, read.rest));
    if (!stock.onHand || !this.parts) return stock;
    // A pack sold in parts has no write-off until its last part: on hand, opened.
    const parts = this.parts.get(read.key) as { sold: number | null; pack: number | null };
    if (!parts.sold || !parts.pack) return stock;
    return { ...stock, opened: { remaining: parts.pack - parts.sold, packQuantity: parts.pack } };
  }
}

/** A unit's state for people: the stock state, or why a unit not in stock is not. */
export function unitStockOf(r: UnitRecord): UnitStock {
  const at = r.deliveryId ? { deliveryId: r.deliveryId } : {};
  const state = stateOf(r.facts);
  if (state !== 'not_in_stock') return { key: r.key, state, onHand: state === 'on_hand', ...at };
  if (r.listed === 'put_aside' || r.listed === 'expected')
    return { key: r.key, state: r.listed, onHand: false, ...at };
  return { key: r.key, state: 'not_received', onHand: false, ...at };
}

const CSV_COLUMNS = [
  'received',
  'foundIn',
  'sold',
  'returnedToSupplier',
  'transferred',
  'destroyed',
  'lost',
  'onHand',
] as const;

/** `product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand` lines for `veriterm stock --csv`. */
export function stockCsv(rows: readonly ProductStock[]): string {
  const lines = ['product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand'];
  for (const r of rows) lines.push([r.productKey, ...CSV_COLUMNS.map((c) => r[c])].join(','));
  return `${lines.join('\n')}\n`;
}
