/**
 * Store-day operations and their seeded generator. The generator reads only the reference model,
 * so one seed always gives the same operation list; a list can also be replayed as is (JSON).
 */

import { seededRandom as prng } from '../../../terminal/seeded-random.js';
import { type SaleLineInput, STORES, type StoreDayModel, type StoreId } from './model.js';
import { BATCHES, CODES, type CodeSpec, type RegistryChange } from './registry-fixture.js';

export { prng };

export type Op =
  /** A shopper scans a code at the kiosk (`scan`: 0 = as printed, 1.. = other forms of it). */
  | { kind: 'check'; store: StoreId; code: string; scan: number }
  | { kind: 'sale'; store: StoreId; ref: string; lines: (SaleLineInput & { scan: number })[] }
  | {
      kind: 'return';
      store: StoreId;
      ref: string;
      codes: string[];
      approval: 'ok' | 'badpin';
      /** Names the sale of this code (saleId), as a receipt would. */
      saleOf?: string;
    }
  /** The sale's request is cut by SIGKILL after `delayMs`; the lane retries it after the restart. */
  | {
      kind: 'killSale';
      store: StoreId;
      ref: string;
      lines: (SaleLineInput & { scan: number })[];
      delayMs: number;
    }
  /** The same for a return (approved, of units sold here within the window). */
  | { kind: 'killReturn'; store: StoreId; ref: string; codes: string[]; delayMs: number }
  | { kind: 'clock'; store: StoreId; days: number }
  | { kind: 'link'; store: StoreId; up: boolean }
  | { kind: 'restart'; store: StoreId }
  /** Upstream publishes a registry delta: a batch recalled, or a new batch registered. */
  | { kind: 'registry'; change: RegistryChange }
  | { kind: 'settle' };

export type OpKind = Op['kind'];
export const OP_KINDS: OpKind[] = [
  'check',
  'sale',
  'return',
  'killSale',
  'killReturn',
  'clock',
  'link',
  'restart',
  'registry',
  'settle',
];

/** Deltas upstream may publish: recalls of batches on sale, new stock. */
const CHANGES: RegistryChange[] = [
  ...BATCHES.filter((b) => b.recallable).map((b) => ({ kind: 'recall' as const, batch: b.number })),
  ...BATCHES.filter((b) => b.later).map((b) => ({ kind: 'stock' as const, batch: b.number })),
];

export class OpGenerator {
  private readonly random: () => number;
  private n = 0;

  private readonly codes: CodeSpec[];
  private readonly ean: boolean;

  /** `skipCodes`: codes never used (local diagnosis of a known defect only). */
  constructor(
    seed: number,
    private readonly exclude: ReadonlySet<OpKind> = new Set(),
    skipCodes: ReadonlySet<string> = new Set(),
  ) {
    this.random = prng(seed);
    this.codes = CODES.filter((c) => !skipCodes.has(c.name));
    this.ean = !skipCodes.has('ean');
  }

  next(model: StoreDayModel): Op {
    this.n++;
    for (;;) {
      const op = this.draw(model);
      if (op && !this.exclude.has(op.kind)) return op;
    }
  }

  private draw(m: StoreDayModel): Op | undefined {
    const store = this.one(STORES);
    const soldHere = this.codes.filter(
      (c) => m.sold.get(c.name)?.store === store && m.determinate(store, c.name),
    );
    const returnable = soldHere.filter((c) => m.returnable(store, c.name));
    // Returns grow likelier as more units are sold, so the day does not run out of stock.
    const weights: [OpKind, number][] = [
      ['check', 14],
      ['sale', 30],
      ['return', 3 + returnable.length * 3],
      ['killSale', 1.5],
      ['killReturn', returnable.length > 0 ? 1 : 0],
      ['clock', 1.5],
      ['link', 6],
      ['restart', 1.5],
      ['registry', this.changes(m).length > 0 ? 1.5 : 0],
      ['settle', 7],
    ];
    const kind = this.weighted(weights);
    const ref = `${store}-${this.n}`;
    switch (kind) {
      case 'check': {
        const spec = this.one(this.codes);
        return { kind, store, code: spec.name, scan: this.int(spec.alt.length + 1) };
      }
      case 'sale':
        return { kind, store, ref, lines: this.basket(m, store) };
      case 'killSale': {
        const lines = this.shuffle(this.sellable(m, store))
          .slice(0, 1 + this.int(2))
          .map((c) => ({ code: c.name, scan: 0 }));
        if (lines.length === 0) return undefined;
        return { kind, store, ref, lines, delayMs: this.int(15) };
      }
      case 'killReturn': {
        const codes = this.shuffle(returnable)
          .slice(0, 1 + this.int(2))
          .map((c) => c.name);
        if (codes.length === 0) return undefined;
        return { kind, store, ref, codes, delayMs: this.int(15) };
      }
      case 'return':
        return this.returnOp(m, store, ref, soldHere, returnable);
      case 'clock':
        return { kind, store, days: this.one([1, 1, 1, 4, 11]) };
      case 'link':
        return { kind, store, up: !m.link[store] };
      case 'restart':
        return { kind, store };
      case 'registry': {
        const change = this.pick(this.changes(m));
        return change ? { kind, change } : undefined;
      }
      default:
        return { kind: 'settle' };
    }
  }

  /**
   * 1–3 lines: sellable units, now and then the EAN (with or without override); about one basket
   * in six also holds a line that must stop it (sold, recalled, unknown …) or a unit scanned twice.
   */
  private basket(m: StoreDayModel, store: StoreId): (SaleLineInput & { scan: number })[] {
    const sellable = this.shuffle(this.sellable(m, store));
    const lines: (SaleLineInput & { scan: number })[] = [];
    const count = 1 + this.int(3);
    for (let i = 0; i < count; i++) {
      if (this.ean && this.random() < 0.12) {
        const override = this.pinChoice(m, store, 0.9);
        lines.push({ code: 'ean', scan: this.int(2), ...(override ? { override } : {}) });
        continue;
      }
      const unit = sellable.pop();
      if (unit) lines.push({ code: unit.name, scan: this.int(unit.alt.length + 1) });
    }
    if (lines.length === 0) {
      if (!this.ean)
        return [{ code: this.one(this.codes.filter((c) => m.determinate(store, c.name))).name, scan: 0 }];
      lines.push({ code: 'ean', scan: 0, override: 'ok' });
    }
    const r = this.random();
    if (r < 0.15) {
      const others = this.codes.filter(
        (c) =>
          c.kind !== 'product' &&
          m.determinate(store, c.name) &&
          m.expected(store, c.name).verdict !== 'genuine',
      );
      const bad = this.pick(others)!;
      // Now and then a manager tries to override a line no override may sell.
      lines.splice(this.int(lines.length + 1), 0, {
        code: bad.name,
        scan: 0,
        ...(this.random() < 0.15 ? { override: 'ok' as const } : {}),
      });
    } else if (r < 0.18) {
      const twice = lines.find((l) => l.code !== 'ean');
      if (twice) lines.push({ code: twice.code, scan: 1 });
    }
    return lines;
  }

  private returnOp(
    m: StoreDayModel,
    store: StoreId,
    ref: string,
    soldHere: CodeSpec[],
    returnable: CodeSpec[],
  ): Op | undefined {
    const codes: string[] = [];
    const count = 1 + (this.random() < 0.3 ? 1 : 0);
    // Mostly units still within the window; sometimes one past it.
    const pool = this.shuffle(this.random() < 0.85 && returnable.length > 0 ? returnable : soldHere);
    for (let i = 0; i < count; i++) {
      const sold = pool.pop();
      if (sold && this.random() < 0.9) codes.push(sold.name);
      else {
        // Something that cannot be returned here: never sold, sold at the other store, the EAN.
        const other = this.pick(this.codes.filter((c) => m.determinate(store, c.name)));
        if (other) codes.push(other.name);
      }
    }
    if (codes.length === 0) return undefined;
    const approval = this.pinChoice(m, store, 0) ?? 'ok';
    const first = codes[0]!;
    const saleOf =
      this.random() < 0.25 ? (this.random() < 0.8 ? first : this.pick(soldHere)?.name) : undefined;
    return { kind: 'return', store, ref, codes, approval, ...(saleOf ? { saleOf } : {}) };
  }

  /** Deltas not yet published; new stock of a batch comes before its recall. */
  private changes(m: StoreDayModel): RegistryChange[] {
    return CHANGES.filter((c) =>
      c.kind === 'stock' ? !m.registry.registered.has(c.batch) : !m.registry.recalled.has(c.batch),
    );
  }

  /** Units the model says `store` may sell now, with one predictable outcome. */
  private sellable(m: StoreDayModel, store: StoreId): CodeSpec[] {
    return this.codes.filter(
      (c) => m.determinate(store, c.name) && m.expected(store, c.name).verdict === 'genuine',
    );
  }

  /**
   * An approval: mostly the right PIN; a wrong one rarely, at most 3 per terminal process (the PIN
   * throttle allows 5 per user and source), so the throttle never decides an outcome.
   */
  private pinChoice(m: StoreDayModel, store: StoreId, pOverride: number): 'ok' | 'badpin' | undefined {
    if (pOverride > 0 && this.random() >= pOverride) return undefined;
    return this.random() < 0.05 && m.pinFailures[store] < 3 ? 'badpin' : 'ok';
  }

  private weighted<T>(items: [T, number][]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.random() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items.at(-1)![0];
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private one<T>(items: readonly T[]): T {
    const item = this.pick(items);
    if (item === undefined) throw new Error('nothing to pick from');
    return item;
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }

  private shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** Applies an op to the model alone (no system): the expected outcome, and the model moved on. */
export function predict(m: StoreDayModel, op: Op): unknown {
  switch (op.kind) {
    case 'sale':
    case 'killSale':
      return m.sale(op.store, op.ref, op.lines);
    case 'return':
      return m.return(op.store, op.codes, op.approval, op.saleOf);
    case 'killReturn':
      m.restarted(op.store);
      return m.return(op.store, op.codes, 'ok');
    case 'clock':
      m.advanceClock(op.store, op.days);
      return undefined;
    case 'link':
      m.setLink(op.store, op.up);
      return undefined;
    case 'restart':
      m.restarted(op.store);
      return undefined;
    case 'registry':
      m.publishSettled(op.change);
      return undefined;
    case 'settle':
      m.settle();
      return undefined;
    default:
      return undefined;
  }
}
