import type { SqliteDatabase } from '../db/open-database.js';
import type { RegistryReader } from '../registry/types.js';
import { type DeliveryCounts, type ReceivingDeps, ReceivingSession } from './checkin-service.js';
import type { ReceivingMode } from './options.js';
import type { ManagerDelivery, ManagerReceiving } from './overview-types.js';
import { type NoteRow, ReceivingStore } from './receiving-store.js';
import { StockReader } from './stock.js';

export interface ReceivingOverviewDeps {
  /** terminal.db's connection (the ledger's): receiving's tables and the ledger's records. */
  db: SqliteDatabase;
  ledger: ReceivingDeps['ledger'];
  registry: RegistryReader;
  mode: ReceivingMode;
}

/**
 * What the store manager sees of receiving (GET /api/v1/manager/receiving): stock counts, open
 * deliveries with expected / received / missing, and the discrepancies: exceptions of recent
 * deliveries and the diversion alerts checkout filed. Read-only; built by the composition root.
 */
export class ReceivingOverview {
  private readonly store: ReceivingStore;
  private readonly stock: StockReader;
  private readonly q;

  constructor(private readonly deps: ReceivingOverviewDeps) {
    // Migrates receiving's tables (idempotent), so a terminal without any note shows zeros.
    this.store = new ReceivingStore(deps.db);
    this.stock = new StockReader(deps.db);
    this.q = {
      recentClosed: deps.db.prepare(
        "SELECT delivery_id AS deliveryId FROM receiving_notes WHERE state = 'closed' ORDER BY closed_at DESC, id DESC LIMIT 5",
      ),
      open: deps.db.prepare(
        "SELECT delivery_id AS deliveryId FROM receiving_notes WHERE state = 'open' ORDER BY id",
      ),
      exceptions: deps.db.prepare(
        `SELECT n.delivery_id AS deliveryId, e.key, e.reason, e.put_aside AS putAside, e.at
         FROM receiving_exceptions e JOIN receiving_notes n ON n.id = e.note
         WHERE e.note IN (SELECT id FROM receiving_notes ORDER BY id DESC LIMIT 10)
         ORDER BY e.id DESC LIMIT 50`,
      ),
      // Newest first along the primary key; stops after the limit is found.
      diversions: deps.db.prepare(
        `SELECT seq, at, payload FROM ledger_records
         WHERE type = 'alert' AND json_extract(payload, '$.kind') = 'diversion'
         ORDER BY seq DESC LIMIT 20`,
      ),
    };
  }

  read(): ManagerReceiving {
    const rows = this.stock.countsByProduct();
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
    const top = [...rows]
      .sort((a, b) => b.onHand - a.onHand || a.productKey.localeCompare(b.productKey))
      .slice(0, 10)
      .map((r) => {
        const names = this.deps.registry.lookupProduct(r.productKey)?.names;
        return { ...r, ...(names ? { names } : {}) };
      });
    const ids = [
      ...(this.q.open.all() as { deliveryId: string }[]),
      ...(this.q.recentClosed.all() as { deliveryId: string }[]),
    ];
    const deliveries = ids.flatMap(({ deliveryId }) => {
      const note = this.store.noteByDeliveryId(deliveryId);
      return note ? [this.delivery(note)] : [];
    });
    const exceptions = (
      this.q.exceptions.all() as {
        deliveryId: string;
        key: string;
        reason: string;
        putAside: number;
        at: string;
      }[]
    ).map((e) => ({ ...e, putAside: e.putAside === 1 }));
    const diversions = (this.q.diversions.all() as { seq: number; at: string; payload: string }[]).map(
      (row) => {
        const p = JSON.parse(row.payload) as {
          codeKey?: string;
          reason?: string;
          note?: string;
          attempt?: { cashier?: string };
        };
        return {
          seq: row.seq,
          at: row.at,
          codeKey: p.codeKey ?? '',
          state: p.reason ?? 'not_received',
          note: p.note ?? '',
          ...(p.attempt?.cashier ? { cashier: p.attempt.cashier } : {}),
        };
      },
    );
    return {
      mode: this.deps.mode,
      stock: {
        products: rows.length,
        received: sum((r) => r.received),
        sold: sum((r) => r.sold),
        onHand: sum((r) => r.onHand),
        top,
      },
      deliveries,
      discrepancies: { exceptions, diversions },
    };
  }

  private delivery(note: NoteRow): ManagerDelivery {
    // The clerk's own counts (a closed delivery keeps those it closed with).
    const counts: DeliveryCounts = note.closedCounts
      ? (JSON.parse(note.closedCounts) as DeliveryCounts)
      : new ReceivingSession(
          { store: this.store, ledger: this.deps.ledger, registry: this.deps.registry },
          note.deliveryId,
        ).counts();
    return {
      deliveryId: note.deliveryId,
      supplier: note.supplierName,
      expectedArrival: note.expectedArrival,
      state: note.state,
      ...(note.outcome ? { outcome: note.outcome } : {}),
      ...(note.closedAt ? { closedAt: note.closedAt } : {}),
      counts,
    };
  }
}
