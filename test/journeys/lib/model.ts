/**
 * The store-day reference model: what two stores' kiosks and checkouts must say about every code,
 * from DESIGN.md "Verdicts" and DOMAIN.md "Unit statuses", written without any of the terminal's
 * code. Pure and small on purpose: it is the specification the running stack is compared with.
 *
 * - A unit is active or sold (at a store, on that store's clock day, in a sale). A sale writes off
 *   every unit line at once or nothing; product-only (EAN) lines are sold only on a manager's
 *   override and never write anything off.
 * - A return is taken only at the selling store, within 10 days of the write-off, with a manager's
 *   approval, not for recalled, stolen or expired units; it makes the unit genuine again at once.
 * - Recalled, stolen, expired, unknown, malformed and product-only codes are never sellable; a scan
 *   whose batch (AI 10) or expiry (AI 17) disagrees with the registered unit is `unknown`.
 * - Eventual consistency: a store sees its own sales and returns at once, the other store's only
 *   after sync. Until a `settle` (both outboxes acked, both registries at upstream's version), a
 *   code changed by store X may show at store Y as any state it went through since the last
 *   settle; a recall published while Y was offline may or may not be there yet.
 */
import { BATCH, BATCHES, CODE_BY_NAME, type CodeSpec, type RegistryChange } from './registry-fixture.js';

export const STORES = ['S1', 'S2'] as const;
export type StoreId = (typeof STORES)[number];
export const RETURN_WINDOW_DAYS = 10;

/** What a kiosk (and the checkout's check) must show. */
export interface Expected {
  verdict: string;
  reason: string;
  /** For already_sold: the store that sold it. */
  soldAt?: StoreId;
}

/** What the registry says about batches (units follow their batch). */
export interface RegistryFacts {
  recalled: Set<string>;
  /** Batches (and their units) in the registry; the others' units are unknown codes. */
  registered: Set<string>;
}

function apply(registry: RegistryFacts, change: RegistryChange): void {
  (change.kind === 'recall' ? registry.recalled : registry.registered).add(change.batch);
}

export interface Sold {
  store: StoreId;
  /** The seller's clock (days ahead of real time) at the write-off. */
  day: number;
  /** The sale's externalRef. */
  saleRef: string;
}

export interface SaleLineInput {
  code: string;
  /** A manager's override: with the right PIN, or a wrong one. */
  override?: 'ok' | 'badpin';
}

export type SaleOutcome =
  | { ok: true; writeOffs: string[] }
  | { ok: false; status: 403; code: 'approval_refused' }
  | {
      ok: false;
      status: 409;
      code: 'lines_refused';
      refused: { line: number; verdict: string; reason: string }[];
    };

export type ReturnOutcome =
  | { ok: true; keys: string[] }
  | { ok: false; status: 403; code: 'approval_required' }
  | { ok: false; status: 409; code: 'lines_refused'; refused: { line: number; reason: string }[] };

export interface Sellability {
  sellable: boolean;
  overridable: boolean;
}

const DAY_MS = 86_400_000;

export function code(name: string): CodeSpec {
  const spec = CODE_BY_NAME.get(name);
  if (!spec) throw new Error(`no code named ${name}`);
  return spec;
}

export function sellabilityOf(e: Expected): Sellability {
  return { sellable: e.verdict === 'genuine', overridable: e.verdict === 'unverifiable' };
}

export class StoreDayModel {
  /** Each store's clock, in whole days ahead of real time. */
  readonly day: Record<StoreId, number> = { S1: 0, S2: 0 };
  readonly link: Record<StoreId, boolean> = { S1: true, S2: true };
  /** Units sold now (the truth), by code name. */
  readonly sold = new Map<string, Sold>();
  /** The registry's batch facts upstream published (the truth). */
  readonly registry: RegistryFacts = {
    recalled: new Set(BATCHES.filter((b) => b.recalled).map((b) => b.number)),
    registered: new Set(BATCHES.filter((b) => !b.later).map((b) => b.number)),
  };
  /** Since the last settle: which store changed a code, and the states it went through. */
  private readonly touched = new Map<string, { by: StoreId; states: (Sold | undefined)[] }>();
  /** Registry deltas a store may not hold yet (published while its link was down), in order. */
  private readonly pending: Record<StoreId, RegistryChange[]> = { S1: [], S2: [] };
  /** Expected ledger of each terminal, one descriptor per record (see `describeRecord`). */
  readonly ledger: Record<StoreId, string[]> = { S1: [], S2: [] };
  /**
   * Wrong manager PINs per terminal since it started (the PIN throttle lives in memory). The
   * generator keeps it small, so no throttle ever decides an outcome: that is the auth tests' job.
   */
  readonly pinFailures: Record<StoreId, number> = { S1: 0, S2: 0 };

  constructor(private readonly realToday: () => number = Date.now) {}

  /** The one verdict at `store` for a code in a given state of the world. */
  verdictFor(store: StoreId, spec: CodeSpec, sold: Sold | undefined, registry: RegistryFacts): Expected {
    if (spec.kind === 'malformed') return { verdict: 'malformed', reason: spec.parseError! };
    if (spec.kind === 'product') return { verdict: 'unverifiable', reason: 'no_serial' };
    if (spec.kind === 'unknown' || !registry.registered.has(spec.batch!))
      return { verdict: 'unknown', reason: 'not_in_registry' };
    // The policy's order (docs/verification.md): written off here, stored status, recalled batch,
    // sold elsewhere; then batch/expiry disagreeing with the unit; then expiry.
    if (sold?.store === store) return { verdict: 'already_sold', reason: 'written_off_here', soldAt: store };
    if (spec.status) return { verdict: spec.status, reason: `status_${spec.status}` };
    if (registry.recalled.has(spec.batch!)) return { verdict: 'recalled', reason: 'batch_recalled' };
    if (sold) return { verdict: 'already_sold', reason: 'sold_upstream', soldAt: sold.store };
    if (spec.mismatch) return { verdict: 'unknown', reason: spec.mismatch };
    if (BATCH.get(spec.batch!)!.expiryDate < this.today(store))
      return { verdict: 'expired', reason: 'past_expiry' };
    return { verdict: 'genuine', reason: 'active' };
  }

  /** Every verdict `store` may show for `name` now (one, unless the code is in flux there). */
  possible(store: StoreId, name: string): Expected[] {
    const spec = code(name);
    const states = this.statesSeenBy(store, name);
    const out = new Map<string, Expected>();
    for (const sold of states) {
      for (const registry of this.registryViews(store)) {
        const e = this.verdictFor(store, spec, sold, registry);
        out.set(JSON.stringify(e), e);
      }
    }
    return [...out.values()];
  }

  /** The single verdict at `store`; throws when the code is in flux there (the generator avoids it). */
  expected(store: StoreId, name: string): Expected {
    const all = this.possible(store, name);
    if (all.length !== 1)
      throw new Error(`model: ${name} at ${store} is not settled (${JSON.stringify(all)})`);
    return all[0]!;
  }

  /**
   * Whether sales and returns of `name` at `store` have one predictable outcome: one possible
   * verdict, and its batch's recall known the same way in every registry `store` may hold (a unit
   * sold here reads `already_sold` either way, but its return is refused only once the recall
   * arrived: an offline store takes it back).
   */
  determinate(store: StoreId, name: string): boolean {
    if (this.possible(store, name).length !== 1) return false;
    const batch = code(name).batch;
    if (batch === undefined) return true;
    const views = this.registryViews(store);
    const recalled = views.filter((v) => v.recalled.has(batch)).length;
    return recalled === 0 || recalled === views.length;
  }

  sale(store: StoreId, ref: string, lines: readonly SaleLineInput[]): SaleOutcome {
    // Approvals are checked line by line before anything else; the first refused one ends the sale.
    for (const line of lines) {
      if (line.override === 'badpin') {
        this.pinFailures[store]++;
        return { ok: false, status: 403, code: 'approval_refused' };
      }
    }
    const refused: { line: number; verdict: string; reason: string }[] = [];
    const alerts: string[] = [];
    const seen = new Set<string>();
    lines.forEach((line, i) => {
      const spec = code(line.code);
      const e = this.expected(store, line.code);
      // A unit sold twice in one basket is a double scan; two packs of one product scanned by
      // their EAN are two packs (no unit identity to repeat).
      const unitKey = spec.kind === 'product' ? undefined : spec.key;
      if (unitKey !== undefined && seen.has(unitKey)) {
        refused.push({ line: i, verdict: e.verdict, reason: 'duplicate_line' });
        return;
      }
      if (unitKey !== undefined) seen.add(unitKey);
      const overridden = e.verdict === 'unverifiable' && line.override === 'ok';
      if (e.verdict === 'genuine' || overridden) return;
      refused.push({ line: i, verdict: e.verdict, reason: e.reason });
      // The evidence a refusal files (docs/checkout-lines.md): a copied code, a code that disagrees
      // with its unit, an unregistered code.
      if (e.verdict === 'already_sold') alerts.push(`alert:clone:${spec.key}`);
      else if (spec.mismatch) alerts.push(`alert:code_mismatch:${spec.key}`);
      else if (e.verdict === 'unknown') alerts.push(`alert:unknown_code:${spec.key}`);
    });
    if (refused.length > 0) {
      this.ledger[store].push(...alerts);
      return { ok: false, status: 409, code: 'lines_refused', refused };
    }
    const units = lines.map((l) => code(l.code)).filter((s) => s.kind === 'unit');
    this.ledger[store].push(`sale:${lines.map((l) => code(l.code).key).join(',')}`);
    for (const spec of units) {
      this.ledger[store].push(`write_off:${spec.key}`);
      this.change(store, spec.name, { store, day: this.day[store], saleRef: ref });
    }
    return { ok: true, writeOffs: units.map((s) => s.key!) };
  }

  /** `saleOf`: the code whose sale id the return names (every line must belong to that sale). */
  return(
    store: StoreId,
    names: readonly string[],
    approval: 'ok' | 'badpin',
    saleOf?: string,
  ): ReturnOutcome {
    if (approval === 'badpin') {
      this.pinFailures[store]++;
      return { ok: false, status: 403, code: 'approval_required' };
    }
    const saleRef = saleOf === undefined ? undefined : (this.sold.get(saleOf)?.saleRef ?? '(none)');
    const refused: { line: number; reason: string }[] = [];
    const seen = new Set<string>();
    names.forEach((name, line) => {
      const reason = this.returnRefusal(store, name, seen, saleRef);
      if (reason) refused.push({ line, reason });
    });
    if (refused.length > 0) return { ok: false, status: 409, code: 'lines_refused', refused };
    const keys = names.map((n) => code(n).key!);
    this.ledger[store].push(`return:${keys.join(',')}`);
    for (const name of names) this.change(store, name, undefined);
    return { ok: true, keys };
  }

  /** Whether a return of `name` alone at `store` would be taken now. */
  returnable(store: StoreId, name: string): boolean {
    return this.returnRefusal(store, name, new Set(), undefined) === undefined;
  }

  /** Why one return line is refused (the order of the rules is the lane's), or undefined. */
  private returnRefusal(
    store: StoreId,
    name: string,
    seen: Set<string>,
    saleRef: string | undefined,
  ): string | undefined {
    const spec = code(name);
    if (spec.key === undefined) return 'malformed';
    // An EAN names a product: nothing was written off to take back.
    if (spec.kind === 'product') return 'product_only';
    if (seen.has(spec.key)) return 'duplicate_line';
    seen.add(spec.key);
    const sold = this.sold.get(name);
    if (spec.kind !== 'unit' || sold?.store !== store) {
      return this.expected(store, name).reason === 'sold_upstream' ? 'other_store' : 'not_sold_here';
    }
    if (saleRef !== undefined && sold.saleRef !== saleRef) return 'not_in_sale';
    // `now - soldAt > 10 days`; real time only adds (well under a day) to whole-day clock steps.
    if (this.day[store] - sold.day >= RETURN_WINDOW_DAYS) return 'window_passed';
    if (spec.status) return spec.status;
    if (this.registry.recalled.has(spec.batch!)) return 'recalled';
    if (BATCH.get(spec.batch!)!.expiryDate < this.today(store)) return 'expired';
    return undefined;
  }

  advanceClock(store: StoreId, days: number): void {
    this.day[store] += days;
  }

  setLink(store: StoreId, up: boolean): void {
    this.link[store] = up;
  }

  restarted(store: StoreId): void {
    this.pinFailures[store] = 0;
  }

  /** Upstream publishes a registry delta: stores online get it before the next step, others later. */
  publish(change: RegistryChange): void {
    apply(this.registry, change);
    for (const store of STORES) if (!this.link[store]) this.pending[store].push(change);
  }

  /**
   * How the harness publishes a delta: from a quiet upstream (settled), with the links that were
   * down cut again before it goes out.
   */
  publishSettled(change: RegistryChange): void {
    const down = STORES.filter((s) => !this.link[s]);
    this.settle();
    for (const s of down) this.setLink(s, false);
    this.publish(change);
  }

  /** Links up, outboxes acked, registries current: every store sees the truth. */
  settle(): void {
    this.touched.clear();
    for (const store of STORES) {
      this.pending[store] = [];
      this.link[store] = true;
    }
  }

  /** The other store's changes not yet known everywhere, for the generator. */
  touchedBy(name: string): StoreId | undefined {
    return this.touched.get(name)?.by;
  }

  /** Clone alerts the ledgers must hold, as `store:key`. */
  cloneAlerts(): string[] {
    return STORES.flatMap((s) =>
      this.ledger[s].filter((d) => d.startsWith('alert:clone:')).map((d) => `${s}:${d.slice(12)}`),
    );
  }

  private change(store: StoreId, name: string, next: Sold | undefined): void {
    const entry = this.touched.get(name);
    if (entry && entry.by !== store) {
      throw new Error(`model: ${name} changed at ${store} while ${entry.by}'s change is not settled`);
    }
    if (entry) entry.states.push(next);
    else this.touched.set(name, { by: store, states: [this.sold.get(name), next] });
    if (next) this.sold.set(name, next);
    else this.sold.delete(name);
  }

  private statesSeenBy(store: StoreId, name: string): (Sold | undefined)[] {
    const entry = this.touched.get(name);
    if (!entry || entry.by === store) return [this.sold.get(name)];
    return entry.states;
  }

  /** The registries `store` may hold: every prefix of the deltas it may have missed applied. */
  private registryViews(store: StoreId): RegistryFacts[] {
    const pending = this.pending[store];
    if (pending.length === 0) return [this.registry];
    const views: RegistryFacts[] = [];
    for (let held = 0; held <= pending.length; held++) {
      // Start from the truth, take back the deltas not held (each delta adds one batch to one set).
      const view: RegistryFacts = {
        recalled: new Set(this.registry.recalled),
        registered: new Set(this.registry.registered),
      };
      for (const change of pending.slice(held)) {
        (change.kind === 'recall' ? view.recalled : view.registered).delete(change.batch);
      }
      views.push(view);
    }
    return views;
  }

  /** YYYY-MM-DD at `store` (terminals run in UTC). */
  today(store: StoreId): string {
    return new Date(this.realToday() + this.day[store] * DAY_MS).toISOString().slice(0, 10);
  }
}
