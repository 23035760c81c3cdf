import { VeritermError } from '../errors.js';
import {
  type CloseRequest,
  CONTAINER_PUT_ASIDE,
  type PutAsideReason,
  type ReceivingDeps,
  ReceivingSession,
} from '../receiving/checkin-service.js';
import {
  CONTAINER_CHECKED_IN,
  type NoteRow,
  UNIT_CHECKED_IN,
  UNIT_PUT_ASIDE,
} from '../receiving/receiving-store.js';
import type { ScanAnswer } from '../receiving/scan-answer.js';
import type {
  CloseDeliveryResult,
  DeliveryCountsView,
  DeliverySummary,
  DeliveryView,
  ReceivingStep,
  ReceivingUpdate,
} from './receiving-wire.js';

/** Bounds on what a client can make a delivery hold or a page receive (docs/receiving.md "API"). */
export const RECEIVING_LIMITS = {
  /** Distinct codes not on a note that one delivery records; past it a foreign scan is refused. */
  maxForeignPerDelivery: 1_000,
  /** Exception lines one answer carries (newest first); `exceptionsTotal` counts them all. */
  exceptionLines: 200,
  /** Closed deliveries the list shows (newest first), after every open one. */
  closedInList: 20,
} as const;
export type ReceivingLimits = Record<keyof typeof RECEIVING_LIMITS, number>;

export interface ReceivingDeskDeps extends ReceivingDeps {
  /** Told after every change that committed (the composition root pushes it over the WebSocket hub). */
  publish?: (update: ReceivingUpdate) => void;
  /** @default RECEIVING_LIMITS */
  limits?: Partial<ReceivingLimits>;
}

/**
 * The receiving clerk's desk: the deliveries on this terminal and one ReceivingSession per call
 * (a session is one read of its note row; every scan is its own durable transaction). Answers in
 * the wire shapes of terminal/lanes/receiving-wire.ts. Faults are VeritermErrors with a code:
 * `delivery_unknown`, `delivery_closed`, `delivery_incomplete`, `close_reason_missing`,
 * `too_many_foreign`.
 */
export class ReceivingDesk {
  private readonly limits: ReceivingLimits;

  constructor(private readonly deps: ReceivingDeskDeps) {
    this.limits = { ...RECEIVING_LIMITS, ...deps.limits };
  }

  /** Open deliveries (by expected arrival), then the latest closed ones. */
  deliveries(): DeliverySummary[] {
    const notes = this.deps.store.notes();
    const open = notes
      .filter((n) => n.state === 'open')
      .sort((a, b) => a.expectedArrival.localeCompare(b.expectedArrival));
    const closed = notes
      .filter((n) => n.state === 'closed')
      .sort((a, b) => (b.closedAt ?? '').localeCompare(a.closedAt ?? '') || b.id - a.id)
      .slice(0, this.limits.closedInList);
    return [...open, ...closed].map((n) => this.summary(n, this.countsOf(n)));
  }

  view(deliveryId: string): DeliveryView {
    const session = this.session(deliveryId);
    return this.viewOf(session);
  }

  scan(deliveryId: string, raw: string): ReceivingStep {
    return this.step(deliveryId, (s) => s.scan(raw));
  }

  openContainer(deliveryId: string, raw: string): ReceivingStep {
    return this.step(deliveryId, (s) => s.open(raw));
  }

  putAside(deliveryId: string, raw: string, reason: PutAsideReason): ReceivingStep {
    return this.step(deliveryId, (s) => s.putAside(raw, reason));
  }

  close(deliveryId: string, request: CloseRequest): CloseDeliveryResult {
    const session = this.session(deliveryId);
    const record = session.close(request);
    const delivery = this.viewOf(session);
    this.publish(delivery);
    return { delivery, receiptId: record.id, seq: record.seq };
  }

  private session(deliveryId: string): ReceivingSession {
    return new ReceivingSession(this.deps, deliveryId);
  }

  /**
   * One write and its bound, in one transaction: the session's own (a savepoint inside this one)
   * and the foreign-code count after it, so a refused scan leaves nothing behind.
   */
  private step(deliveryId: string, write: (s: ReceivingSession) => ScanAnswer): ReceivingStep {
    const session = this.session(deliveryId);
    const { store } = this.deps;
    const answer = store.db
      .transaction(() => {
        const a = write(session);
        const max = this.limits.maxForeignPerDelivery;
        if (
          a.problems.some((p) => p.code === 'foreign') &&
          store.exceptionCount(session.note.id, 'foreign') > max
        )
          throw new VeritermError(
            'too_many_foreign',
            `Delivery ${deliveryId} already lists ${max} codes that are not on its note; check the scanner or close the delivery`,
          );
        return a;
      })
      .immediate();
    const delivery = this.viewOf(session);
    if (answer.action !== 'none' || answer.problems.some((p) => p.code === 'foreign')) this.publish(delivery);
    return { answer, delivery };
  }

  /**
   * The delivery's counts as `ReceivingSession.counts()` gives them, from container rows and the few
   * unit rows with a state of their own instead of every unit (a 100,000-unit note: milliseconds,
   * not the half second reading each unit takes, after every scan). A closed note: its closing counts.
   */
  countsOf(note: NoteRow): DeliveryCountsView {
    const { store } = this.deps;
    return store.db.transaction(() => {
      const now = store.note(note.id)!;
      if (now.closedCounts) return JSON.parse(now.closedCounts) as DeliveryCountsView;
      const own = new Map<number, { in: number; aside: number }>();
      for (const r of store.ownStates(note.id)) {
        const o = own.get(r.container) ?? { in: 0, aside: 0 };
        if (r.state === UNIT_CHECKED_IN) o.in += r.n;
        else if (r.state === UNIT_PUT_ASIDE) o.aside += r.n;
        own.set(r.container, o);
      }
      const c: DeliveryCountsView = { expected: now.units, received: 0, missing: 0, putAside: 0, extra: 0 };
      for (const container of store.containersOf(note.id)) {
        const o = own.get(container.id) ?? { in: 0, aside: 0 };
        if (container.state === CONTAINER_PUT_ASIDE) c.putAside += container.units;
        else if (container.state === CONTAINER_CHECKED_IN) {
          c.received += container.units - o.aside;
          c.putAside += o.aside;
        } else {
          c.received += o.in;
          c.putAside += o.aside;
          c.missing += container.units - o.in - o.aside;
        }
      }
      c.extra = store.exceptionCount(note.id, 'foreign');
      return c;
    })();
  }

  private viewOf(session: ReceivingSession): DeliveryView {
    const { store } = this.deps;
    const note = store.note(session.note.id)!;
    return {
      ...this.summary(note, this.countsOf(note)),
      exceptions: store.latestExceptions(note.id, this.limits.exceptionLines),
      exceptionsTotal: store.exceptionCount(note.id),
      receiptId: note.receiptId,
    };
  }

  private summary(n: NoteRow, counts: DeliveryCountsView): DeliverySummary {
    return {
      deliveryId: n.deliveryId,
      supplier: { id: n.supplierId, name: n.supplierName },
      expectedArrival: n.expectedArrival,
      importedAt: n.importedAt,
      state: n.state,
      outcome: n.outcome,
      reason: n.reason,
      closedAt: n.closedAt,
      units: n.units,
      containers: n.containers,
      counts,
    };
  }

  private publish(view: DeliveryView): void {
    this.deps.publish?.({ deliveryId: view.deliveryId, state: view.state, counts: view.counts });
  }
}
