import { VeritermError } from '../errors.js';
import type {
  StockAdjustmentPayload,
  StocktakeBadReason,
  StocktakeBadUnit,
  StocktakePayload,
  UnitKeysByProduct,
} from '../ledger/payloads.js';
import { payloadOf } from '../ledger/record-decoders.js';
import type { LedgerRecord } from '../ledger/types.js';
import { STOCKTAKE_BAD_REASONS } from '../ledger/types.js';
import { unitStockOf } from '../receiving/stock.js';
import { unitKeyOf } from '../receiving/unit-key.js';
import { registryProblem } from '../receiving/unit-problems.js';
import { ChangeLog, type ChangeMark, OnHandSnapshot } from './on-hand-snapshot.js';
import {
  addByProduct,
  checkBatch,
  closedAnswer,
  countOf,
  dayOf,
  newSessionId,
  openSession,
  resolveScan,
  type StockDeps,
  type StockScanAnswer,
  sessionOf,
  unreadableAnswer,
} from './stock-scan.js';
import type { SessionRow } from './stock-store.js';
import { patchReport } from './stocktake-patch.js';
import { stateOf, transition } from './unit-state.js';

/** Every product, or the listed product keys (a zone, a cycle count). */
export type StocktakeScope = 'all' | string[];

/** The differences of a stocktake: the `stocktake` record's payload, before it is signed. */
export type StocktakeReport = StocktakePayload;

/** A report made for a close off the write lock (the reads thread), with what it was made from. */
export interface PreparedClose {
  report: StocktakeReport;
  /** The change log when the report was read. */
  mark: ChangeMark;
  /** The session's scanned units and containers then. */
  units: number;
  containers: number;
}

/** Changed units a close brings a prepared report up to date for; past this it makes it again. */
const MAX_PATCHED_UNITS = 10_000;

export interface AcceptRequest {
  approvedBy: string;
  reason: string;
  /** Missing units to write off as lost: every one, or the listed codes. @default 'all' */
  missing?: 'all' | string[];
  /** Extra units (not received, or left stock earlier) to take into stock. @default 'all' */
  extra?: 'all' | string[];
}

export interface AcceptOutcome {
  record: LedgerRecord<StockAdjustmentPayload>;
  /** Listed differences not adjusted, with why (the unit's state changed since, or a sold unit). */
  skipped: { key: string; code: string }[];
}

const BAD: ReadonlySet<string> = new Set(STOCKTAKE_BAD_REASONS);
/** Units one stocktake record may list: the decoders' bound (record-decoders.ts), so upstream can read it. */
export const MAX_DIFFERENCES = 1_000_000;
/** Units one stocktake may scan: a whole store of a million units, twice over. */
export const MAX_STOCKTAKE_UNITS = 2_000_000;
const MAX_SCOPE_PRODUCTS = 10_000;

/**
 * Stocktakes (盘点, docs/stock.md): a session of scans (a pallet or case label counts its
 * contents), a report of what differs from stock on hand, a signed `stocktake` record on close,
 * and a manager's signed `stock_adjustment` accepting the differences. Each call is one durable
 * transaction. The report is one pass over the units on hand in scope, with the scans in memory.
 */
export class StocktakeService {
  private readonly clock: () => Date;
  private readonly maxDifferences: number;
  private readonly maxScans: number;
  private readonly log: ChangeLog;
  private snapshot: OnHandSnapshot | undefined;

  constructor(
    private readonly deps: StockDeps & {
      maxDifferences?: number;
      maxScans?: number;
      /**
       * Whole-store reports from a snapshot of stock on hand kept current by the change log
       * (on-hand-snapshot.ts); false reads every unit on hand for each report (the bench's baseline).
       * @default true
       */
      snapshots?: boolean;
    },
  ) {
    this.clock = deps.clock ?? (() => new Date());
    this.maxDifferences = deps.maxDifferences ?? MAX_DIFFERENCES;
    this.maxScans = deps.maxScans ?? MAX_STOCKTAKE_UNITS;
    this.log = new ChangeLog(deps.store);
  }

  open(request: { scope: StocktakeScope; openedBy: string }): SessionRow {
    const { scope } = request;
    if (scope !== 'all' && (scope.length === 0 || scope.length > MAX_SCOPE_PRODUCTS))
      throw new VeritermError(
        'bad_scope',
        `Expected scope 'all' or 1 to ${MAX_SCOPE_PRODUCTS} product keys, got ${scope.length}`,
      );
    const now = this.clock();
    const id = newSessionId(now);
    const { store } = this.deps;
    store.db
      .transaction(() => store.openSession(id, 'stocktake', { scope }, request.openedBy, now.toISOString()))
      .immediate();
    return store.session(id)!;
  }

  session(id: string): SessionRow {
    return sessionOf(this.deps.store, id, 'stocktake');
  }

  list(limit?: number): SessionRow[] {
    return this.deps.store.sessions('stocktake', limit);
  }

  scan(id: string, raw: string): StockScanAnswer {
    return this.scanMany(id, [raw])[0]!;
  }

  /** Scans in one durable transaction (a handheld's upload); answers in order. */
  scanMany(id: string, codes: readonly string[]): StockScanAnswer[] {
    checkBatch(codes);
    const { store, registry } = this.deps;
    const today = dayOf(this.clock(), this.deps.timeZone);
    return store.db
      .transaction(() => {
        const s = sessionOf(store, id, 'stocktake');
        if (s.state !== 'open') return codes.map((c) => closedAnswer(c, `stocktake ${id} is ${s.state}`));
        if (store.unitCount(id) + codes.length > this.maxScans)
          throw new VeritermError(
            'stocktake_full',
            `Stocktake ${id} holds at most ${this.maxScans} units: close it and count the rest in another`,
          );
        const hasRegistry = registry?.state() !== undefined;
        const one = (raw: string): StockScanAnswer => {
          const r = resolveScan(store, raw);
          if (r.kind === 'unreadable') return unreadableAnswer(r);
          if (r.kind === 'container') {
            let added = false;
            for (const c of r.ids) added = store.addContainer(id, c) || added;
            return {
              ok: true,
              result: added ? 'found' : 'already_scanned',
              target: r.level,
              key: r.key,
              units: added ? r.units : 0,
              problems: [],
            };
          }
          const bad = hasRegistry ? badReason(registryProblem(registry!.lookup(r.key), today)) : undefined;
          const rec = store.reader.record(r.key, r.productKey, r.rest);
          const state = unitStockOf(rec).state;
          const onHand = stateOf(rec.facts) === 'on_hand';
          const fresh = store.addUnit(id, r.productKey, r.rest, bad ?? null);
          const problems: StockScanAnswer['problems'] = [];
          if (bad) problems.push({ code: bad, key: r.key, message: `${bad}: take it off the shelf` });
          if (!onHand) problems.push({ code: 'extra', key: r.key, message: `not on hand here (${state})` });
          return {
            ok: problems.length === 0,
            result: !fresh ? 'already_scanned' : onHand ? 'found' : 'extra',
            target: 'unit',
            key: r.key,
            state,
            units: fresh ? 1 : 0,
            problems,
          };
        };
        if (!registry?.reading) return codes.map(one);
        return registry.reading(() => codes.map(one));
      })
      .immediate();
  }

  /** The differences so far (or at close), computed from stock on hand now and the scans. */
  report(id: string): StocktakeReport {
    const { store } = this.deps;
    return store.db.transaction(() => this.reportOf(sessionOf(store, id, 'stocktake')))();
  }

  /**
   * Takes the whole-store snapshot now (one pass over stock on hand) rather than at the first
   * report: called on the reads thread when a stocktake opens, so the report after the last scan
   * applies only the changes since. Nothing for a scoped stocktake (its pass is small).
   */
  prime(id: string): void {
    const { store } = this.deps;
    store.db.transaction(() => {
      const s = sessionOf(store, id, 'stocktake');
      this.snapshotFor(s, (JSON.parse(s.params) as { scope: StocktakeScope }).scope);
    })();
  }

  /** Drops the whole-store snapshot once no stocktake is open (its memory: about 43 B per unit on hand). */
  release(): void {
    const counting = this.deps.store.db.transaction(() => this.log.counting())();
    if (!counting) this.snapshot = undefined;
  }

  /** The report for a close, made off the write lock, with what it was made from (closeWith). */
  prepareClose(id: string): PreparedClose {
    const { store } = this.deps;
    return store.db.transaction(() => {
      const s = openSession(store, id, 'stocktake');
      const report = this.reportOf(s);
      return {
        report,
        mark: this.log.mark(),
        units: store.unitCount(id),
        containers: store.containers(id).size,
      };
    })();
  }

  /**
   * Closes with a report prepared before (prepareClose, on the reads thread): inside the
   * transaction only what changed since is looked at: the same scans, and the units the change
   * log names since (a sale, a return, a shipment), each put where it stands now. Undefined, with
   * nothing written, when that cannot be done (scans added, a check-in since, too many changes):
   * prepare again, or close().
   */
  closeWith(id: string, prepared: PreparedClose): LedgerRecord<StocktakePayload> | undefined {
    const { store, ledger } = this.deps;
    return ledger.transaction(() => {
      const s = openSession(store, id, 'stocktake');
      const report = this.upToDate(s, prepared);
      return report && this.write(s, report);
    });
  }

  /**
   * What closeWith would write, without writing: the prepared report brought up to date (changed
   * in place), or undefined when it must be made again.
   */
  upToDateReport(id: string, prepared: PreparedClose): StocktakeReport | undefined {
    const { store } = this.deps;
    return store.db.transaction(() => this.upToDate(openSession(store, id, 'stocktake'), prepared))();
  }

  /** Writes the signed `stocktake` record with the differences and closes the session. */
  close(id: string): LedgerRecord<StocktakePayload> {
    const { store, ledger } = this.deps;
    return ledger.transaction(() => this.write(openSession(store, id, 'stocktake')));
  }

  private upToDate(s: SessionRow, p: PreparedClose): StocktakeReport | undefined {
    const { store } = this.deps;
    const mark = this.log.mark();
    if (p.report.stocktakeId !== s.id || mark.epoch !== p.mark.epoch || mark.changeId < p.mark.changeId)
      return undefined;
    if (store.unitCount(s.id) !== p.units) return undefined;
    const containers = store.containers(s.id);
    if (containers.size !== p.containers) return undefined;
    if (mark.changeId === p.mark.changeId) return p.report;
    const changes = this.log.since(p.mark.changeId);
    // A check-in or a unit newly listed may change which container holds a unit: make it again.
    if (changes.some((c) => c.kind === 'listed' || c.kind === 'container')) return undefined;
    const units = this.log.unitsOf(changes);
    if (units.length > MAX_PATCHED_UNITS) return undefined;
    return patchReport(p.report, units, (u) => {
      const now = this.log.now(u);
      return {
        scanned: this.log.scannedIn(s.id, u),
        containerScanned: now.container !== null && containers.has(now.container),
        state: now.state,
      };
    });
  }

  /** Appends the signed record (inside the caller's ledger transaction) and closes the session. */
  private write(s: SessionRow, report = this.reportOf(s)): LedgerRecord<StocktakePayload> {
    const { store, ledger } = this.deps;
    const { missing, extra } = report;
    const differences =
      countOf(missing) + countOf(extra.notReceived) + countOf(extra.sold) + countOf(extra.leftStock);
    if (differences > this.maxDifferences)
      throw new VeritermError(
        'stocktake_too_large',
        `Stocktake ${s.id} has ${differences} differences, more than one record holds (${this.maxDifferences}): count by product scope instead`,
      );
    const record = ledger.append('stocktake', report);
    if (!store.close(s.id, record.at, record.id, record.seq))
      throw new VeritermError('session_closed', `Stocktake ${s.id} is already closed`);
    // The last open stocktake closed: the log is emptied, a snapshot would be taken again.
    if (!this.log.counting()) this.snapshot = undefined;
    return record;
  }

  /** The whole-store snapshot, current, for an open stocktake of scope 'all'; undefined otherwise. */
  private snapshotFor(s: SessionRow, scope: StocktakeScope): OnHandSnapshot | undefined {
    if (scope !== 'all' || s.state !== 'open' || this.deps.snapshots === false) return undefined;
    if (!this.snapshot?.refresh()) this.snapshot = OnHandSnapshot.take(this.deps.store, this.log);
    return this.snapshot;
  }

  /**
   * Accepts a closed stocktake's differences in one signed `stock_adjustment` record: missing
   * units leave stock (lost), extra units enter it (found). Each unit's state is read again: one
   * that changed since the stocktake (sold, shipped, found) is skipped and named; a sold unit on
   * the shelf comes back by a return, never by an adjustment; a destroyed one never comes back.
   */
  accept(id: string, request: AcceptRequest): AcceptOutcome {
    if (!request.reason.trim())
      throw new VeritermError('reason_missing', 'Accepting differences needs a reason');
    const { store, ledger } = this.deps;
    return ledger.transaction(() => {
      const s = sessionOf(store, id, 'stocktake');
      if (s.state !== 'closed')
        throw new VeritermError(
          s.state === 'accepted' ? 'already_accepted' : 'session_open',
          s.state === 'accepted'
            ? `Stocktake ${id}'s differences were accepted already (record ${s.acceptedRecordId})`
            : `Stocktake ${id} is ${s.state}: close it first`,
        );
      const stored = ledger.record(s.recordId!);
      if (!stored)
        throw new VeritermError(
          'ledger_record_missing',
          `Stocktake record ${s.recordId} is not in the ledger`,
        );
      const st = payloadOf(stored, 'stocktake');
      const out: UnitKeysByProduct = {};
      const into: UnitKeysByProduct = {};
      const skipped: AcceptOutcome['skipped'] = [];
      const moves: { productKey: string; rest: string; move: 'lost' | 'found'; foundIn: boolean }[] = [];
      const pick = (listing: UnitKeysByProduct, wanted: 'all' | string[] | undefined, kind: 'out' | 'in') => {
        const only = wanted === undefined || wanted === 'all' ? undefined : new Set(wanted);
        for (const [productKey, rests] of Object.entries(listing))
          for (const rest of rests) {
            const key = productKey + rest;
            if (only && !only.has(key)) continue;
            only?.delete(key);
            const rec = store.reader.record(key, productKey, rest);
            const next = transition(rec.facts, { kind: kind === 'out' ? 'adjust_out' : 'adjust_in' });
            if (!next.ok) {
              skipped.push({ key, code: next.code });
              continue;
            }
            addByProduct(kind === 'out' ? out : into, productKey, rest);
            moves.push({
              productKey,
              rest,
              move: next.facts.move as 'lost' | 'found',
              foundIn: next.facts.foundIn,
            });
          }
        for (const key of only ?? []) skipped.push({ key, code: 'not_a_difference' });
      };
      pick(st.missing, request.missing, 'out');
      pick(st.extra.notReceived, request.extra, 'in');
      pick(st.extra.leftStock, request.extra, 'in');
      // Listed only to name them: a sold unit comes back by a return (with its approval).
      for (const [productKey, rests] of Object.entries(st.extra.sold))
        for (const rest of rests)
          if (
            request.extra === undefined ||
            request.extra === 'all' ||
            request.extra.includes(productKey + rest)
          )
            skipped.push({ key: productKey + rest, code: 'sold_use_return' });
      if (moves.length === 0)
        throw new VeritermError(
          'nothing_to_adjust',
          `Stocktake ${id}: no difference can be adjusted (${skipped.length} skipped)`,
        );
      const payload: StockAdjustmentPayload = {
        stocktakeId: id,
        approvedBy: request.approvedBy,
        reason: request.reason.trim(),
        out,
        in: into,
      };
      const record = ledger.append('stock_adjustment', payload);
      for (const m of moves) store.setMove(m.productKey, m.rest, m.move, m.foundIn, record.seq);
      store.accept(id, record.id);
      return { record, skipped };
    });
  }

  /** `code,product,difference,detail` lines: every missing, extra and bad unit. */
  csv(id: string): string {
    const s = sessionOf(this.deps.store, id, 'stocktake');
    const report = s.recordId
      ? payloadOf(this.deps.ledger.record(s.recordId)!, 'stocktake')
      : this.report(id);
    return stocktakeCsv(report);
  }

  private reportOf(s: SessionRow): StocktakeReport {
    const { store } = this.deps;
    const scope = (JSON.parse(s.params) as { scope: StocktakeScope }).scope;
    const scanned = store.units(s.id);
    const containers = store.containers(s.id);
    // Scans by product, so the pass below compares rests (no key strings built per unit on hand);
    // a matched scan is deleted, so what is left are the scans not on hand in scope.
    const unmatched = new Map<string, Set<string>>();
    for (const u of scanned) {
      const rests = unmatched.get(u.productKey);
      if (rests) rests.add(u.rest);
      else unmatched.set(u.productKey, new Set([u.rest]));
    }
    const missing: UnitKeysByProduct = {};
    let expected = 0;
    let found = 0;
    let lastProduct = -1;
    let productKey = '';
    let scannedRests: Set<string> | undefined;
    let missingRests: string[] | undefined;
    const ids = scope === 'all' ? undefined : scope.flatMap((k) => store.knownProductId(k) ?? []);
    const snapshot = this.snapshotFor(s, scope);
    const keyOf = snapshot
      ? (product: number) => snapshot.productKey(product)
      : (
          (keys) => (product: number) =>
            keys.get(product)!
        )(store.reader.productKeys());
    const visit = (product: number, rest: string, container: number | null) => {
      expected++;
      // Rows come grouped by product: look the product up once per run of its units.
      if (product !== lastProduct) {
        lastProduct = product;
        productKey = keyOf(product);
        scannedRests = unmatched.get(productKey);
        missingRests = missing[productKey];
      }
      if (scannedRests?.delete(rest)) found++;
      else if (container !== null && containers.has(container)) found++;
      else if (missingRests) missingRests.push(rest);
      else missing[productKey] = missingRests = [rest];
    };
    if (snapshot) snapshot.forEach(visit);
    else
      for (const [product, rest, container] of store.reader.onHandUnits(ids)) visit(product, rest, container);
    const extra = { notReceived: {}, sold: {}, leftStock: {} } as StocktakeReport['extra'];
    const bad: StocktakeBadUnit[] = [];
    for (const u of scanned) {
      const key = u.productKey + u.rest;
      if (u.bad) bad.push({ key, reason: u.bad as StocktakeBadReason });
      if (!unmatched.get(u.productKey)?.has(u.rest)) continue;
      const state = stateOf(store.reader.record(key, u.productKey, u.rest).facts);
      // On hand but outside the scope: not a difference of this stocktake.
      if (state === 'on_hand') continue;
      const group =
        state === 'not_in_stock' ? extra.notReceived : state === 'sold' ? extra.sold : extra.leftStock;
      addByProduct(group, u.productKey, u.rest);
    }
    return { stocktakeId: s.id, scope, startedAt: s.openedAt, expected, found, missing, extra, bad };
  }
}

function badReason(reason: string | undefined): StocktakeBadReason | undefined {
  return reason !== undefined && BAD.has(reason) ? (reason as StocktakeBadReason) : undefined;
}

/** Differences as CSV (`code,product,difference,detail`), missing first, then extra, then bad. */
export function stocktakeCsv(r: StocktakeReport): string {
  const lines = ['code,product,difference,detail'];
  const rows = (listing: UnitKeysByProduct, difference: string, detail: string) => {
    for (const [productKey, rests] of Object.entries(listing))
      for (const rest of rests) lines.push(`${productKey + rest},${productKey},${difference},${detail}`);
  };
  rows(r.missing, 'missing', 'on hand, not found');
  rows(r.extra.notReceived, 'extra', 'not received here');
  rows(r.extra.sold, 'extra', 'sold here: take it back with a return');
  rows(r.extra.leftStock, 'extra', 'shipped out or written off earlier');
  for (const b of r.bad) {
    const read = unitKeyOf(b.key);
    lines.push(`${b.key},${read.ok ? read.productKey : ''},bad,${b.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
