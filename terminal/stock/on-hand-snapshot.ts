import type { Statement } from 'better-sqlite3';
import { unitKeyOf } from '../receiving/unit-key.js';
import type { StockStore } from './stock-store.js';
import { stateOf, type UnitStockState } from './unit-state.js';

/** Where the change log stood when a snapshot or a report was read (schema.ts, step 2). */
export interface ChangeMark {
  /** Moves on each time counting starts again (the log was not kept in between). */
  epoch: number;
  /** The last change read (0: none). */
  changeId: number;
}

/** One row of `stock_changes`. */
export interface StockChange {
  id: number;
  kind: 'write_off' | 'move' | 'unit' | 'listed' | 'container';
  product: number | null;
  rest: string | null;
  codeKey: string | null;
  container: number | null;
  list: string | null;
}

/** A unit by its receiving ids. */
export interface ChangedUnit {
  product: number;
  productKey: string;
  rest: string;
}

/** Override values: the unit's container id when on hand now, or one of these. */
const ON_HAND_LOOSE = -1;
const NOT_ON_HAND = -2;

/** Prepared statements of the change log, per connection. */
export class ChangeLog {
  private readonly q;

  constructor(private readonly store: StockStore) {
    const { db } = store;
    this.q = {
      epoch: db.prepare('SELECT epoch FROM stock_change_epoch WHERE id = 1').pluck(),
      last: db.prepare('SELECT coalesce(max(id), 0) FROM stock_changes').pluck(),
      since: db.prepare(
        `SELECT id, kind, product, rest, code_key AS codeKey, container, list FROM stock_changes
         WHERE id > ? ORDER BY id`,
      ),
      containerUnits: db.prepare('SELECT units FROM receiving_containers WHERE id = ?').pluck(),
      // No index by container (receiving's schema): a full read, only when receiving dropped the list.
      unitsIn: db.prepare('SELECT product, rest FROM receiving_units WHERE container = ?').raw(true),
      scanned: db
        .prepare('SELECT 1 FROM stock_session_units WHERE session = ? AND product = ? AND rest = ?')
        .pluck(),
      counting: db
        .prepare("SELECT EXISTS (SELECT 1 FROM stock_sessions WHERE type = 'stocktake' AND state = 'open')")
        .pluck(),
      productKey: db.prepare('SELECT key FROM receiving_products WHERE id = ?').pluck(),
      unitContainer: db
        .prepare('SELECT container FROM receiving_units WHERE product = ? AND rest = ?')
        .pluck(),
    } satisfies Record<string, Statement>;
  }

  /** Call inside the read transaction the mark must agree with. */
  mark(): ChangeMark {
    return { epoch: this.q.epoch.get() as number, changeId: this.q.last.get() as number };
  }

  /** Whether a stocktake is open (changes are logged). */
  counting(): boolean {
    return this.q.counting.get() === 1;
  }

  /** Whether the unit was scanned itself in the session. */
  scannedIn(session: string, u: ChangedUnit): boolean {
    return this.q.scanned.get(session, u.product, u.rest) !== undefined;
  }

  since(changeId: number): StockChange[] {
    return this.q.since.all(changeId) as StockChange[];
  }

  /** The units the changes touch, each once (a container's change: every unit in it). */
  unitsOf(changes: readonly StockChange[]): ChangedUnit[] {
    const seen = new Map<string, ChangedUnit>();
    const keys = new Map<number, string | undefined>();
    const keyOf = (product: number) => {
      if (!keys.has(product)) keys.set(product, this.q.productKey.get(product) as string | undefined);
      return keys.get(product);
    };
    const add = (product: number | undefined, productKey: string | undefined, rest: string) => {
      if (product === undefined || productKey === undefined) return;
      seen.set(`${product}\t${rest}`, { product, productKey, rest });
    };
    for (const c of changes) {
      if (c.product !== null && c.rest !== null) add(c.product, keyOf(c.product), c.rest);
      else if (c.codeKey !== null) {
        const read = unitKeyOf(c.codeKey);
        // A product never received or found here has no unit in stock: nothing to bring up to date.
        if (read.ok) add(this.store.knownProductId(read.productKey), read.productKey, read.rest);
      } else if (c.container !== null) {
        if (c.list)
          for (const line of c.list.split('\n')) {
            const tab = line.indexOf('\t');
            const productKey = line.slice(0, tab);
            add(this.store.knownProductId(productKey), productKey, line.slice(tab + 1));
          }
        else if (((this.q.containerUnits.get(c.container) as number | undefined) ?? 0) > 0)
          for (const [product, rest] of this.q.unitsIn.iterate(c.container) as Iterable<[number, string]>)
            add(product, keyOf(product), rest);
      }
    }
    return [...seen.values()];
  }

  /** Whether the unit is on hand now, and its container (null for a unit found without a note). */
  now(u: ChangedUnit): { state: UnitStockState; onHand: boolean; container: number | null } {
    const rec = this.store.reader.record(u.productKey + u.rest, u.productKey, u.rest);
    const state = stateOf(rec.facts);
    const container = (this.q.unitContainer.get(u.product, u.rest) as number | undefined) ?? null;
    return { state, onHand: state === 'on_hand', container };
  }
}

/**
 * The units on hand of the whole store, read once (one pass, seconds at a million units) and then
 * kept current from the change log: each later read applies only the changes since (a sale, a
 * return, a check-in, a shipment), so a whole-store stocktake's report after the last scan costs
 * a pass over memory, not over the database (docs/stock.md "Stocktake"). Rows are kept as read
 * (product ids, rests, container ids), about 43 B of heap per unit; units whose state changed since are
 * held apart as overrides.
 */
export class OnHandSnapshot {
  private readonly runProducts: number[] = [];
  private readonly runStarts: number[] = [];
  private readonly rests: string[] = [];
  private readonly containers: number[] = [];
  /** product id → rest → container id (on hand now), ON_HAND_LOOSE or NOT_ON_HAND. */
  private readonly overrides = new Map<number, Map<string, number>>();
  private keys: Map<number, string>;

  private constructor(
    private readonly store: StockStore,
    private readonly log: ChangeLog,
    public mark: ChangeMark,
  ) {
    this.keys = store.reader.productKeys();
  }

  /** Reads every unit on hand; call inside a read transaction (the mark agrees with the rows). */
  static take(store: StockStore, log: ChangeLog): OnHandSnapshot {
    const s = new OnHandSnapshot(store, log, log.mark());
    let last = -1;
    for (const [product, rest, container] of store.reader.onHandUnits()) {
      if (product !== last) {
        last = product;
        s.runProducts.push(product);
        s.runStarts.push(s.rests.length);
      }
      s.rests.push(rest);
      s.containers.push(container ?? ON_HAND_LOOSE);
    }
    return s;
  }

  get units(): number {
    return this.rests.length;
  }

  /**
   * Applies the changes logged since; false when the log was not kept all along (counting stopped
   * and started again since the snapshot): the caller takes a new one. Call inside a read transaction.
   */
  refresh(): boolean {
    const mark = this.log.mark();
    if (mark.epoch !== this.mark.epoch || mark.changeId < this.mark.changeId) return false;
    if (mark.changeId === this.mark.changeId) return true;
    const changes = this.log.since(this.mark.changeId);
    for (const u of this.log.unitsOf(changes)) {
      const now = this.log.now(u);
      let byRest = this.overrides.get(u.product);
      if (!byRest) {
        byRest = new Map();
        this.overrides.set(u.product, byRest);
      }
      byRest.set(u.rest, now.onHand ? (now.container ?? ON_HAND_LOOSE) : NOT_ON_HAND);
    }
    this.mark = mark;
    return true;
  }

  /** A receiving product id's key (the map read again when the product is new since). */
  productKey(product: number): string {
    let key = this.keys.get(product);
    if (key === undefined) {
      this.keys = this.store.reader.productKeys();
      key = this.keys.get(product)!;
    }
    return key;
  }

  /**
   * Every unit on hand now (of the given product ids only, when given), grouped by product as
   * read; units that came on hand since the snapshot last.
   */
  forEach(
    visit: (product: number, rest: string, container: number | null) => void,
    only?: Set<number>,
  ): void {
    const { rests, containers, runProducts, runStarts, overrides } = this;
    const seen = new Map<number, Set<string>>();
    for (let r = 0; r < runProducts.length; r++) {
      const product = runProducts[r]!;
      if (only && !only.has(product)) continue;
      const end = r + 1 < runStarts.length ? runStarts[r + 1]! : rests.length;
      const changed = overrides.get(product);
      if (!changed)
        for (let i = runStarts[r]!; i < end; i++) {
          const c = containers[i]!;
          visit(product, rests[i]!, c === ON_HAND_LOOSE ? null : c);
        }
      else {
        let visited = seen.get(product);
        if (!visited) {
          visited = new Set();
          seen.set(product, visited);
        }
        for (let i = runStarts[r]!; i < end; i++) {
          const rest = rests[i]!;
          const o = changed.get(rest);
          if (o !== undefined) visited.add(rest);
          const c = o ?? containers[i]!;
          if (c === NOT_ON_HAND) continue;
          visit(product, rest, c === ON_HAND_LOOSE ? null : c);
        }
      }
    }
    // On hand now and not in the snapshot: checked in, returned or found since.
    for (const [product, changed] of overrides) {
      if (only && !only.has(product)) continue;
      const visited = seen.get(product);
      for (const [rest, c] of changed)
        if (c !== NOT_ON_HAND && !visited?.has(rest)) visit(product, rest, c === ON_HAND_LOOSE ? null : c);
    }
  }
}
