import { migrate, type SqliteDatabase } from '../terminal/db/open-database.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import type { Logger } from '../terminal/logger.js';
import type { DeliveryOutcome } from '../terminal/sync/protocol.js';
import { isTopicLevel } from '../terminal/sync/topics.js';
import type { DeliverySender, DeliveryTarget } from './delivery-send.js';
import { transferNoteBody } from './transfer-note.js';

/**
 * Transfers between stores, upstream's half (issue 19 item 3, docs/stock.md "Transfers end to
 * end"): a `stock_out` record of kind `transfer` that ingest accepted owes the receiving store a
 * delivery note (upstream/transfer-note.ts builds its body). Each one is kept in the worker's
 * delivery database (`deps.deliveryDb`, beside the delivery log: delivery notes are not in the
 * storage contract) until the receiving terminal answers it, and sent with the DeliverySender.
 *
 * - Once per record: the row is keyed by the record id, so a re-ingested or resent record adds
 *   nothing and sends nothing. A resend of the note (below) carries the same body and delivery id
 *   (`TR-` + shipment id) under a new message id: the terminal answers `already_imported`.
 * - Which terminal: `receivingTerminals[storeId]`, else the store's only terminal known by its
 *   retained status; else the note waits (logged) until one is known.
 * - Offline store: the note is published QoS 1 with message expiry, so the receiving terminal's
 *   persistent session gets it when it returns. As a second path (a broker restarted without
 *   persistence, a session expired, a note dropped over the terminal's budget) a note still
 *   unanswered is sent again `retryDelayMs` after that terminal's status says `online`.
 */
const STEPS = [
  `CREATE TABLE up_transfer_notes (
     record_id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, from_store TEXT NOT NULL,
     from_terminal TEXT NOT NULL, to_store TEXT NOT NULL, units INTEGER NOT NULL, body TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'refused')),
     terminal_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, last_sent_at TEXT,
     code TEXT, message TEXT, created_at TEXT NOT NULL);
   CREATE INDEX up_transfer_notes_pending ON up_transfer_notes (to_store) WHERE state = 'pending';
   CREATE INDEX up_transfer_notes_delivery ON up_transfer_notes (to_store, delivery_id);`,
];

export interface TransferOptions {
  /** The terminal that receives transfers per store id (its back door); else the store's only terminal. */
  receivingTerminals: Record<string, string>;
  /** How long after the receiving terminal comes online an unanswered note is sent again. */
  retryDelayMs: number;
  /** How long one send waits for the terminal's outcome before leaving the note to the broker. */
  timeoutMs: number;
  /** How long a transfer note is valid (and queued at the broker). */
  ttlMs: number;
}

export interface TransferNoteRow {
  recordId: string;
  deliveryId: string;
  fromStore: string;
  fromTerminal: string;
  toStore: string;
  units: number;
  state: 'pending' | 'delivered' | 'refused';
  terminalId: string | null;
  attempts: number;
  lastSentAt: string | null;
  code: string | null;
  message: string | null;
  createdAt: string;
}

const COLUMNS = `record_id AS recordId, delivery_id AS deliveryId, from_store AS fromStore,
  from_terminal AS fromTerminal, to_store AS toStore, units, state, terminal_id AS terminalId, attempts,
  last_sent_at AS lastSentAt, code, message, created_at AS createdAt`;

/** Outcomes after which sending again cannot help: the note itself is wrong for that store. */
const TRANSIENT = new Set(['store_failed', 'replayed']);

export class TransferForwarder {
  private readonly q;
  private readonly sending = new Set<string>();
  /** The retry scheduled per store id (see onStatus). */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unrouted = new Set<string>();
  private stopped = false;

  constructor(
    private readonly deps: {
      db: SqliteDatabase;
      deliveries: Pick<DeliverySender, 'send'>;
      logger: Logger;
      /** Terminals whose retained status this worker holds (`store/terminal` → document). */
      statuses: () => Map<string, unknown>;
    },
    private readonly options: TransferOptions,
  ) {
    migrate(deps.db, 'upstream_transfers', STEPS);
    const db = deps.db;
    this.q = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO up_transfer_notes (record_id, delivery_id, from_store, from_terminal, to_store,
           units, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      row: db.prepare(`SELECT ${COLUMNS}, body FROM up_transfer_notes WHERE record_id = ?`),
      pendingOf: db.prepare(
        `SELECT record_id AS recordId FROM up_transfer_notes WHERE to_store = ? AND state = 'pending'`,
      ),
      byDelivery: db.prepare(
        `SELECT record_id AS recordId FROM up_transfer_notes WHERE to_store = ? AND delivery_id = ? AND state = 'pending'`,
      ),
      sent: db.prepare(
        'UPDATE up_transfer_notes SET attempts = attempts + 1, last_sent_at = ?, terminal_id = ? WHERE record_id = ?',
      ),
      settle: db.prepare(
        `UPDATE up_transfer_notes SET state = ?, code = ?, message = ? WHERE record_id = ? AND state = 'pending'`,
      ),
      list: db.prepare(`SELECT ${COLUMNS} FROM up_transfer_notes ORDER BY created_at, record_id`),
    };
  }

  /**
   * Called after an ingest committed: keeps a note for each new transfer among the accepted records
   * and sends it. Other records are skipped; an undecodable one raised its alert at ingest.
   */
  noteAccepted(fromStore: string, fromTerminal: string, accepted: readonly LedgerRecord[]): void {
    for (const r of accepted) {
      if (r.type !== 'stock_out' || (r.payload as { kind?: unknown }).kind !== 'transfer') continue;
      let note: ReturnType<typeof transferNoteBody>;
      try {
        note = transferNoteBody(r);
      } catch {
        continue;
      }
      const body = note.body as { deliveryId: string; units: string[] };
      // A record is signed by an enrolled terminal, not necessarily by a careful one: a store id
      // that cannot be a topic level, or the shipping store itself, is kept refused, never sent.
      const wrong = !isTopicLevel(note.storeId)
        ? `toStoreId ${JSON.stringify(note.storeId)} is not a store id`
        : note.storeId === fromStore
          ? `toStoreId ${note.storeId} is the shipping store`
          : undefined;
      const added = this.q.insert.run(
        r.id,
        body.deliveryId,
        fromStore,
        fromTerminal,
        note.storeId,
        body.units.length,
        JSON.stringify(body),
        new Date().toISOString(),
      ).changes;
      if (added === 1 && wrong) {
        this.q.settle.run('refused', 'bad_transfer', wrong, r.id);
        this.deps.logger.warn(
          { recordId: r.id, fromStore, fromTerminal },
          `transfer note not sent: ${wrong}`,
        );
      } else if (added === 1) this.attempt(r.id);
    }
  }

  /** Every transfer note this worker owes or sent (`veriterm upstream deliveries`, tests). */
  list(): TransferNoteRow[] {
    return this.q.list.all() as TransferNoteRow[];
  }

  /** Which terminal of `storeId` receives transfers, or undefined when none can be chosen. */
  receivingTerminal(storeId: string): string | undefined {
    const configured = this.options.receivingTerminals[storeId];
    if (configured) return configured;
    const known: string[] = [];
    for (const [who, doc] of this.deps.statuses()) {
      const [store, terminal] = who.split('/');
      if (store === storeId && terminal && doc !== undefined) known.push(terminal);
    }
    return known.length === 1 ? known[0] : undefined;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Sends one pending note to its store's receiving terminal (once at a time per note). */
  private attempt(recordId: string): void {
    if (this.stopped || this.sending.has(recordId)) return;
    const row = this.q.row.get(recordId) as (TransferNoteRow & { body: string }) | undefined;
    if (row?.state !== 'pending') return;
    const terminalId = this.receivingTerminal(row.toStore);
    if (!terminalId) {
      if (!this.unrouted.has(row.toStore)) {
        this.unrouted.add(row.toStore);
        this.deps.logger.warn(
          { storeId: row.toStore, deliveryId: row.deliveryId },
          'transfer note kept pending: no receiving terminal known for the store (set upstream transfers.receivingTerminals, or it goes when the store has one terminal online)',
        );
      }
      return;
    }
    this.unrouted.delete(row.toStore);
    const target: DeliveryTarget = { storeId: row.toStore, terminalId };
    this.q.sent.run(new Date().toISOString(), terminalId, recordId);
    this.sending.add(recordId);
    this.deps.deliveries
      .send(target, JSON.parse(row.body), { ttlMs: this.options.ttlMs, timeoutMs: this.options.timeoutMs })
      .then((outcome) => this.settle(recordId, outcome))
      .catch((error: { code?: string; message?: string }) => {
        if (error.code === 'delivery_timeout') {
          this.deps.logger.info(
            { ...target, deliveryId: row.deliveryId },
            'transfer note not answered yet: queued at the broker, sent again when the terminal is online',
          );
          return;
        }
        // A note that cannot be built or sent at all (no command key, too large): say so once.
        this.q.settle.run('refused', error.code ?? 'send_failed', error.message ?? String(error), recordId);
        this.deps.logger.error(
          { ...target, deliveryId: row.deliveryId, err: error },
          'transfer note not sent',
        );
      })
      .finally(() => this.sending.delete(recordId));
  }

  private settle(recordId: string, outcome: DeliveryOutcome): void {
    if (outcome.status === 'accepted' || outcome.status === 'already_imported') {
      this.q.settle.run('delivered', null, null, recordId);
      return;
    }
    if (TRANSIENT.has(outcome.code ?? '')) return;
    if (this.q.settle.run('refused', outcome.code ?? null, outcome.message ?? null, recordId).changes === 1)
      this.deps.logger.error(
        { recordId, code: outcome.code, message: outcome.message },
        'transfer note refused by the receiving store',
      );
  }

  /** Upstream's `deliveryOutcome`: also an outcome that came after `send` stopped waiting. */
  readonly onOutcome = (o: { storeId: string; terminalId: string } & DeliveryOutcome): void => {
    if (!o.deliveryId?.startsWith('TR-')) return;
    for (const { recordId } of this.q.byDelivery.all(o.storeId, o.deliveryId) as { recordId: string }[])
      this.settle(recordId, o);
  };

  /** Upstream's `status`: a terminal came online, its store's unanswered notes go again after `retryDelayMs`. */
  readonly onStatus = (s: { storeId: string; terminalId: string; doc: unknown }): void => {
    if ((s.doc as { state?: unknown } | undefined)?.state !== 'online' || this.stopped) return;
    // Terminals republish their status now and then: one retry scheduled per store at a time.
    if (this.timers.has(s.storeId)) return;
    const pending = this.q.pendingOf.all(s.storeId) as { recordId: string }[];
    if (pending.length === 0 || this.receivingTerminal(s.storeId) !== s.terminalId) return;
    const timer = setTimeout(() => {
      this.timers.delete(s.storeId);
      // A note sent within the last retryDelayMs (its first send, or a retry) is given that long.
      const before = new Date(Date.now() - this.options.retryDelayMs).toISOString();
      for (const { recordId } of this.q.pendingOf.all(s.storeId) as { recordId: string }[]) {
        const row = this.q.row.get(recordId) as TransferNoteRow | undefined;
        if (!row?.lastSentAt || row.lastSentAt <= before) this.attempt(recordId);
      }
    }, this.options.retryDelayMs);
    this.timers.set(s.storeId, timer);
  };
}

/**
 * The transfer notes kept in an upstream database, for `veriterm upstream deliveries` (read only: no
 * migration); those to or from `storeId` when given. Empty when this upstream never kept one.
 */
export function readTransferNotes(db: SqliteDatabase, filter: { storeId?: string } = {}): TransferNoteRow[] {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'up_transfer_notes'").get();
  if (!has) return [];
  const where = filter.storeId === undefined ? '' : 'WHERE to_store = @storeId OR from_store = @storeId';
  return db
    .prepare(`SELECT ${COLUMNS} FROM up_transfer_notes ${where} ORDER BY created_at, record_id`)
    .all(filter.storeId === undefined ? {} : { storeId: filter.storeId }) as TransferNoteRow[];
}

/** One line per transfer note, as `veriterm upstream deliveries` prints it. */
export function transferNoteLine(t: TransferNoteRow): string {
  const to = `${t.toStore}/${t.terminalId ?? '?'}`;
  const state =
    t.state === 'delivered'
      ? 'delivered'
      : t.state === 'refused'
        ? `refused (${t.code}): ${t.message ?? ''}`
        : t.terminalId === null
          ? 'pending: no receiving terminal known (set transfers.receivingTerminals)'
          : `pending: sent ${t.attempts} time(s), no answer yet`;
  return `${t.deliveryId}  ${t.fromStore}/${t.fromTerminal} → ${to}  ${t.units} units  ${state}`;
}
