import { VeritermError } from '../errors.js';
import type { ReceiptPayload, UnitKeysByProduct } from '../ledger/payloads.js';
import type { LedgerRecord, ReceiptExceptionReason, RecordType } from '../ledger/types.js';
import type { RegistryReader } from '../registry/types.js';
import {
  CONTAINER_CHECKED_IN,
  CONTAINER_OPENED,
  CONTAINER_PENDING,
  type ContainerRow,
  type NoteRow,
  type ReceivingStore,
  UNIT_AS_CONTAINER,
  UNIT_CHECKED_IN,
  UNIT_PUT_ASIDE,
} from './receiving-store.js';
import { answer, type ScanAnswer, type ScanProblem } from './scan-answer.js';
import { readSscc } from './sscc.js';
import { type SplitKey, unitKeyOf } from './unit-key.js';
import { registryProblem } from './unit-problems.js';

/** A container put aside whole (damaged pallet or case): none of its units are stock. */
export const CONTAINER_PUT_ASIDE = 3;

/** What receiving needs of the ledger: its transaction, its append, its write-offs. */
export interface ReceivingLedger {
  transaction<T>(fn: () => T): T;
  append<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P>;
  writeOffsOf(keys: readonly string[]): Map<string, unknown>;
}

export interface ReceivingDeps {
  store: ReceivingStore;
  /** The ledger on the same database connection as `store`. */
  ledger: ReceivingLedger;
  registry: RegistryReader;
  /** @default () => new Date() */
  clock?: () => Date;
  /** For "expired" (YYYY-MM-DD in this zone). @default 'UTC' */
  timeZone?: string;
}

/** Reasons a clerk may give when putting something aside. */
export const PUT_ASIDE_REASONS = ['damaged', 'recalled', 'foreign', 'expired', 'other'] as const;
export type PutAsideReason = (typeof PUT_ASIDE_REASONS)[number];

export interface DeliveryCounts {
  expected: number;
  received: number;
  missing: number;
  putAside: number;
  /** Foreign codes scanned (not on this note). */
  extra: number;
}

export type CloseRequest = { outcome: 'complete' } | { outcome: 'partial'; reason: string };

/** What a scanned text names within a delivery. */
type Resolved =
  | { kind: 'container'; container: ContainerRow }
  | { kind: 'unit'; split: SplitKey }
  | { kind: 'unreadable'; key: string; message: string };

/**
 * A receiving session for one delivery note. Every scan, open and put-aside runs in one durable
 * transaction (the terminal database is synchronous=FULL) and answers only once committed: a
 * pallet's SSCC checks in the pallet and every case on it that was not opened, so after a crash
 * a container is all in or all out. Closing writes one signed `receipt` ledger record and marks the
 * note closed in the same transaction.
 */
export class ReceivingSession {
  readonly note: NoteRow;
  private readonly store: ReceivingStore;
  private readonly clock: () => Date;
  private readonly day: Intl.DateTimeFormat;

  constructor(
    private readonly deps: ReceivingDeps,
    deliveryId: string,
  ) {
    this.store = deps.store;
    const note = deps.store.noteByDeliveryId(deliveryId);
    if (!note) throw new VeritermError('delivery_unknown', `No delivery note ${deliveryId} on this terminal`);
    this.note = note;
    this.clock = deps.clock ?? (() => new Date());
    this.day = new Intl.DateTimeFormat('en-CA', { timeZone: deps.timeZone ?? 'UTC' });
  }

  /** A pallet or case label checks in everything under it; a unit code checks in that unit. */
  scan(raw: string): ScanAnswer {
    return this.write(() => {
      const closed = this.closedAnswer(raw);
      if (closed) return closed;
      const r = this.resolve(raw);
      if (r.kind === 'unreadable') return this.unreadable(r);
      if (r.kind === 'container') return this.checkInContainer(r.container);
      return this.checkInUnit(r.split);
    });
  }

  /** Opens a pending pallet or case: its units (or cases) are then scanned one by one. */
  open(raw: string): ScanAnswer {
    return this.write(() => {
      const closed = this.closedAnswer(raw);
      if (closed) return closed;
      const r = this.resolve(raw);
      if (r.kind === 'unreadable') return this.unreadable(r);
      if (r.kind === 'unit' || r.container.note !== this.note.id) {
        const key = r.kind === 'unit' ? r.split.key : r.container.key!;
        return answer({
          action: 'none',
          target: r.kind === 'unit' && r.split.rest !== '' ? 'unit' : 'unknown',
          key,
          checkedIn: 0,
          problems: [
            problem('not_a_container', key, 'not a pallet or case on this delivery note: nothing to open'),
          ],
        });
      }
      const c = r.container;
      const target = c.level as 'pallet' | 'case';
      const state = c.state;
      if (state !== CONTAINER_PENDING) return this.containerStateAnswer(c, state);
      this.store.setContainerState(c.id, CONTAINER_OPENED);
      return answer({ action: 'opened', target, key: c.key!, checkedIn: 0 });
    });
  }

  /**
   * Puts a unit (or a whole container) aside with a reason: not stock, listed on the receipt.
   * A code not on the note (foreign) can be put aside too, so the receipt names it.
   */
  putAside(raw: string, reason: PutAsideReason): ScanAnswer {
    return this.write(() => {
      const closed = this.closedAnswer(raw);
      if (closed) return closed;
      const r = this.resolve(raw);
      if (r.kind === 'unreadable') return this.unreadable(r);
      const at = this.clock().toISOString();
      if (r.kind === 'container') {
        const c = r.container;
        if (c.note !== this.note.id) return this.foreign(c.key!, 'unknown', reason);
        this.store.setContainerState(c.id, CONTAINER_PUT_ASIDE);
        for (const child of this.store.children(c.id))
          this.store.setContainerState(child.id, CONTAINER_PUT_ASIDE);
        this.store.addException(this.note.id, c.key!, reason, true, at);
        return answer({
          action: 'put_aside',
          target: c.level as 'pallet' | 'case',
          key: c.key!,
          checkedIn: 0,
        });
      }
      const unit = this.store.unit(r.split);
      if (!unit || unit.note !== this.note.id)
        return this.foreign(r.split.key, r.split.rest === '' ? 'unknown' : 'unit', reason);
      this.store.setUnitState(r.split, UNIT_PUT_ASIDE);
      this.store.addException(this.note.id, r.split.key, reason, true, at);
      return answer({ action: 'put_aside', target: 'unit', key: r.split.key, checkedIn: 0 });
    });
  }

  /** Expected / received / missing / put aside / extra for the page and the tests. */
  counts(): DeliveryCounts {
    return this.store.db.transaction(() => {
      // Closed: the counts it closed with (its unit lists are gone).
      const closed = this.store.note(this.note.id)?.closedCounts;
      if (closed) return JSON.parse(closed) as DeliveryCounts;
      const c: DeliveryCounts = { expected: this.note.units, received: 0, missing: 0, putAside: 0, extra: 0 };
      for (const container of this.store.containersOf(this.note.id)) {
        const state = container.state;
        for (const split of this.store.unitKeysOf(container.id)) {
          const s = this.unitState(split, state);
          if (s === 'in') c.received++;
          else if (s === 'aside') c.putAside++;
          else c.missing++;
        }
      }
      c.extra = this.store.exceptions(this.note.id).filter((e) => e.reason === 'foreign').length;
      return c;
    })();
  }

  /**
   * Closes the delivery: `complete` only when nothing is missing, `partial` with a reason. Writes
   * one `receipt` record (accepted containers and units, missing ones, every exception) and marks
   * the note closed in one transaction; the record flows upstream through the outbox like a sale.
   */
  close(request: CloseRequest): LedgerRecord<ReceiptPayload> {
    if (request.outcome === 'partial' && !request.reason?.trim())
      throw new VeritermError('close_reason_missing', 'A partial delivery needs a reason to close');
    return this.deps.ledger.transaction(() => {
      const note = this.store.note(this.note.id)!;
      if (note.state === 'closed')
        throw new VeritermError(
          'delivery_closed',
          `Delivery ${note.deliveryId} was closed at ${note.closedAt}`,
        );
      const payload = this.receiptPayload(request);
      const missing =
        payload.missing.containers.length +
        Object.values(payload.missing.units).reduce((n, r) => n + r.length, 0);
      if (request.outcome === 'complete' && missing > 0)
        throw new VeritermError(
          'delivery_incomplete',
          `Delivery ${note.deliveryId} has ${missing} missing containers or units: close it as partial, with a reason`,
        );
      const counts = this.counts();
      const record = this.deps.ledger.append('receipt', payload);
      if (!this.store.close(note.id, request.outcome, payload.reason ?? null, record.at, record.id, counts))
        throw new VeritermError('delivery_closed', `Delivery ${note.deliveryId} is already closed`);
      this.store.clearUnitLists(note.id);
      return record;
    });
  }

  private receiptPayload(request: CloseRequest): ReceiptPayload {
    const containers = this.store.containersOf(this.note.id);
    const accepted: UnitKeysByProduct = {};
    const missingUnits: UnitKeysByProduct = {};
    const payload: ReceiptPayload = {
      deliveryId: this.note.deliveryId,
      supplierId: this.note.supplierId,
      outcome: request.outcome,
      ...(request.outcome === 'partial' ? { reason: request.reason.trim() } : {}),
      expectedUnits: this.note.units,
      containers: [],
      units: accepted,
      missing: { containers: [], units: missingUnits },
      exceptions: this.store.exceptions(this.note.id).map((e) => ({
        key: e.key,
        reason: e.reason as ReceiptExceptionReason,
        ...(e.putAside ? { putAside: true as const } : {}),
      })),
    };
    // A container is missing whole when it and everything in it is still pending; otherwise its
    // missing parts are listed (pending cases of a broken-down pallet, units of an opened case).
    const pendingChildren = new Map<number, boolean>();
    for (const c of containers)
      if (c.parent !== null)
        pendingChildren.set(
          c.parent,
          (pendingChildren.get(c.parent) ?? true) && c.state === CONTAINER_PENDING,
        );
    const wholeMissing = (c: ContainerRow) =>
      c.state === CONTAINER_PENDING && pendingChildren.get(c.id) !== false;
    const byId = new Map(containers.map((c) => [c.id, c]));
    for (const c of containers) {
      const state = c.state;
      const parent = c.parent === null ? undefined : byId.get(c.parent);
      // Top-most only: a checked-in pallet's cases, or a missing pallet's, are not listed again.
      if (state === CONTAINER_CHECKED_IN && parent?.state !== CONTAINER_CHECKED_IN)
        payload.containers.push(c.key!);
      const covered = parent !== undefined && wholeMissing(parent);
      if (wholeMissing(c) && !covered) payload.missing.containers.push(c.key!);
      for (const split of this.store.unitKeysOf(c.id)) {
        const s = this.unitState(split, state);
        if (s === 'in') addUnit(accepted, split);
        else if (s === 'missing' && !wholeMissing(c) && !covered) addUnit(missingUnits, split);
      }
    }
    return payload;
  }

  private write(fn: () => ScanAnswer): ScanAnswer {
    return this.store.db.transaction(fn).immediate();
  }

  private closedAnswer(raw: string): ScanAnswer | undefined {
    const note = this.store.note(this.note.id)!;
    if (note.state !== 'closed') return undefined;
    const key = raw.slice(0, 64);
    return answer({
      action: 'none',
      target: 'unknown',
      key,
      checkedIn: 0,
      problems: [problem('delivery_closed', key, `delivery ${note.deliveryId} is closed: nothing changes`)],
    });
  }

  /** An SSCC or case label on a note (any note), else a unit key, else why it cannot be read. */
  private resolve(raw: string): Resolved {
    const sscc = readSscc(raw);
    if (sscc !== undefined) {
      const container = this.store.containerByKey(sscc);
      if (container) return { kind: 'container', container };
    }
    const read = unitKeyOf(raw);
    if (!read.ok) {
      // A valid SSCC on no note here is a foreign container, not an unreadable code.
      if (sscc !== undefined) return { kind: 'unit', split: { key: sscc, productKey: sscc, rest: '' } };
      return { kind: 'unreadable', key: raw.slice(0, 64), message: `${read.code}: ${read.message}` };
    }
    const container = this.store.containerByKey(read.key);
    if (container) return { kind: 'container', container };
    const { ok: _ok, ...split } = read;
    return { kind: 'unit', split };
  }

  private unreadable(r: { key: string; message: string }): ScanAnswer {
    return answer({
      action: 'none',
      target: 'unknown',
      key: r.key,
      checkedIn: 0,
      problems: [problem('unreadable', r.key, r.message)],
    });
  }

  /** A code not on this note: recorded as a `foreign` exception (put aside when the clerk says so). */
  private foreign(key: string, target: ScanAnswer['target'], putAsideReason?: PutAsideReason): ScanAnswer {
    const at = this.clock().toISOString();
    this.store.addException(this.note.id, key, 'foreign', putAsideReason !== undefined, at);
    if (putAsideReason !== undefined && putAsideReason !== 'foreign')
      this.store.addException(this.note.id, key, putAsideReason, true, at);
    const elsewhere = this.whereElse(key);
    return answer({
      action: putAsideReason === undefined ? 'none' : 'put_aside',
      target,
      key,
      checkedIn: 0,
      problems: [
        problem(
          'foreign',
          key,
          elsewhere ? `not on this delivery note (it is on ${elsewhere})` : 'not on this delivery note',
        ),
      ],
    });
  }

  private whereElse(key: string): string | undefined {
    const container = this.store.containerByKey(key);
    if (container) return this.store.note(container.note)?.deliveryId;
    const read = unitKeyOf(key);
    const unit = read.ok ? this.store.unit(read) : undefined;
    return unit ? this.store.note(unit.note)?.deliveryId : undefined;
  }

  private checkInContainer(c: ContainerRow): ScanAnswer {
    if (c.note !== this.note.id) return this.foreign(c.key!, 'unknown');
    const target = c.level as 'pallet' | 'case';
    const state = c.state;
    if (state !== CONTAINER_PENDING) return this.containerStateAnswer(c, state);
    this.store.setContainerState(c.id, CONTAINER_CHECKED_IN);
    const checked: ContainerRow[] = [c];
    const problems: ScanProblem[] = [];
    if (c.level === 'pallet') {
      for (const child of this.store.children(c.id)) {
        if (child.state === CONTAINER_PENDING) checked.push(child);
        else if (child.state === CONTAINER_OPENED)
          problems.push(
            problem(
              'container_opened',
              child.key!,
              'this case was opened earlier: scan its units one by one',
            ),
          );
      }
      this.store.checkInChildren(c.id);
    }
    // Units put aside before their container was scanned stay aside (one read for all of them).
    const aside = this.store.putAsideKeys(this.note.id);
    const units: SplitKey[] = [];
    for (const container of checked)
      for (const split of this.store.unitKeysOf(container.id)) if (!aside.has(split.key)) units.push(split);
    problems.push(...this.unitProblems(units));
    return answer({ action: 'checked_in', target, key: c.key!, checkedIn: units.length, problems });
  }

  private checkInUnit(split: SplitKey): ScanAnswer {
    const unit = split.rest === '' ? undefined : this.store.unit(split);
    if (!unit || unit.note !== this.note.id)
      return this.foreign(split.key, split.rest === '' ? 'unknown' : 'unit');
    const state = this.unitState(split, unit.containerState, unit.state);
    if (state === 'aside')
      return answer({
        action: 'none',
        target: 'unit',
        key: split.key,
        checkedIn: 0,
        problems: [problem('put_aside_earlier', split.key, 'this unit was put aside earlier')],
      });
    if (state === 'in')
      return answer({
        action: 'none',
        target: 'unit',
        key: split.key,
        checkedIn: 0,
        problems: [problem('already_checked_in', split.key, 'already checked in: nothing changes')],
      });
    // A unit of a container not yet opened opens it: the rest of it is then counted one by one.
    const container = this.store.container(unit.container)!;
    if (container.state === CONTAINER_PENDING) this.store.setContainerState(container.id, CONTAINER_OPENED);
    this.store.setUnitState(split, UNIT_CHECKED_IN);
    return answer({
      action: 'checked_in',
      target: 'unit',
      key: split.key,
      checkedIn: 1,
      problems: this.unitProblems([split]),
    });
  }

  private containerStateAnswer(c: ContainerRow, state: number): ScanAnswer {
    const target = c.level as 'pallet' | 'case';
    const key = c.key!;
    const [code, message] =
      state === CONTAINER_CHECKED_IN
        ? (['already_checked_in', 'already checked in: nothing changes'] as const)
        : state === CONTAINER_OPENED
          ? (['container_opened', 'opened earlier: scan its units one by one'] as const)
          : (['put_aside_earlier', 'this container was put aside earlier'] as const);
    return answer({ action: 'none', target, key, checkedIn: 0, problems: [problem(code, key, message)] });
  }

  private unitState(
    split: SplitKey,
    containerState: number,
    own = this.store.unit(split)?.state ?? UNIT_AS_CONTAINER,
  ): 'in' | 'aside' | 'missing' {
    if (own === UNIT_PUT_ASIDE || containerState === CONTAINER_PUT_ASIDE) return 'aside';
    if (own === UNIT_CHECKED_IN || containerState === CONTAINER_CHECKED_IN) return 'in';
    return 'missing';
  }

  /** Registry and local-ledger problems of units being checked in, each kept as an exception. */
  private unitProblems(units: readonly SplitKey[]): ScanProblem[] {
    if (units.length === 0) return [];
    const { registry } = this.deps;
    const today = this.day.format(this.clock());
    const at = this.clock().toISOString();
    const soldHere = this.deps.ledger.writeOffsOf(units.map((u) => u.key));
    const problems: ScanProblem[] = [];
    // Without an imported registry only the local ledger can say something (sold here).
    const check = () => {
      const hasRegistry = registry.state() !== undefined;
      for (const u of units) {
        const reason = soldHere.has(u.key)
          ? 'already_sold'
          : hasRegistry
            ? registryProblem(registry.lookup(u.key), today)
            : undefined;
        if (reason === undefined) continue;
        this.store.addException(this.note.id, u.key, reason, false, at);
        problems.push(problem(reason, u.key, MESSAGES[reason]));
      }
    };
    if (registry.reading) registry.reading(check);
    else check();
    return problems;
  }
}

const MESSAGES: Record<ReceiptExceptionReason, string> = {
  foreign: 'not on this delivery note',
  recalled: 'recalled: put it aside',
  withdrawn: 'product withdrawn: put it aside',
  blocked: 'blocked by the registry (stolen, destroyed or locked): put it aside',
  expired: 'past its expiry date',
  already_sold: 'this code was sold already: a resold or copied pack',
  not_in_registry: 'not in the registry although its product is covered',
  damaged: 'damaged',
  other: 'put aside',
};

function addUnit(byProduct: UnitKeysByProduct, split: SplitKey): void {
  const rests = byProduct[split.productKey];
  if (rests) rests.push(split.rest);
  else byProduct[split.productKey] = [split.rest];
}

function problem(code: ScanProblem['code'], key: string, message: string): ScanProblem {
  return { code, key, message };
}
