import type { LedgerRecord } from '../terminal/ledger/types.js';
import type { Logger } from '../terminal/logger.js';
import type { DeliveryOutcome } from '../terminal/sync/protocol.js';
import { isTopicLevel } from '../terminal/sync/topics.js';
import type { DeliverySender, DeliveryTarget } from './delivery-send.js';
import type { TransferQueueStorage } from './storage/contract.js';
import type { TransferNoteRow } from './storage/delivery-types.js';
import { transferNoteBody } from './transfer-note.js';

export type { TransferNoteRow } from './storage/delivery-types.js';

/**
 * Transfers between stores, upstream's half (issue 19 item 3, docs/stock.md "Transfers end to
 * end"): a `stock_out` record of kind `transfer` that ingest accepted owes the receiving store a
 * delivery note (upstream/transfer-note.ts builds its body). Each one is kept in the upstream's
 * storage (contract.ts `deliveries.transfers`, shared by every worker on one database) until the
 * receiving terminal answers it, and sent with the DeliverySender.
 *
 * - Once per record: the row is keyed by the record id, so a re-ingested or resent record adds
 *   nothing and sends nothing. A resend of the note (below) carries the same body and delivery id
 *   (`TR-` + shipment id) under a new message id: the terminal answers `already_imported`.
 * - Which terminal: `receivingTerminals[storeId]`, else the store's only terminal known by its
 *   retained status; else the note waits (logged) until one is known.
 * - Offline store: the note is published QoS 1 with message expiry, so the receiving terminal's
 *   persistent session gets it when it returns. As a second path (a broker restarted without
 *   persistence, a session expired, a note dropped over the terminal's budget) a note still
 *   unanswered is sent again `retryDelayMs` after that terminal's status says `online`. Every
 *   worker sees that status; the storage's `claim` lets one of them send (the others find it sent
 *   within `retryDelayMs`).
 */
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

/** Outcomes after which sending again cannot help: the note itself is wrong for that store. */
const TRANSIENT = new Set(['store_failed', 'replayed']);

export class TransferForwarder {
  private readonly sending = new Set<string>();
  /** The retry scheduled per store id (see onStatus). */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unrouted = new Set<string>();
  private stopped = false;

  constructor(
    private readonly deps: {
      store: TransferQueueStorage;
      deliveries: Pick<DeliverySender, 'send'>;
      logger: Logger;
      /** Terminals whose retained status this worker holds (`store/terminal` → document). */
      statuses: () => Map<string, unknown>;
    },
    private readonly options: TransferOptions,
  ) {}

  /**
   * Called after an ingest committed: keeps a note for each new transfer among the accepted records
   * and sends it (resolves once the sends have started, not when they are answered). Other records
   * are skipped without a query; an undecodable one raised its alert at ingest.
   */
  async noteAccepted(
    fromStore: string,
    fromTerminal: string,
    accepted: readonly LedgerRecord[],
  ): Promise<void> {
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
      const added = await this.deps.store.add(
        {
          recordId: r.id,
          deliveryId: body.deliveryId,
          fromStore,
          fromTerminal,
          toStore: note.storeId,
          units: body.units.length,
          body: JSON.stringify(body),
          createdAt: new Date().toISOString(),
        },
        wrong ? { code: 'bad_transfer', message: wrong } : undefined,
      );
      if (added && wrong)
        this.deps.logger.warn(
          { recordId: r.id, fromStore, fromTerminal },
          `transfer note not sent: ${wrong}`,
        );
      else if (added) await this.attempt(r.id);
    }
  }

  /** Every transfer note kept (every worker's, on a shared database): `veriterm upstream deliveries`, tests. */
  list(): Promise<TransferNoteRow[]> {
    return this.deps.store.list();
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

  /**
   * Sends one pending note to its store's receiving terminal (once at a time per note here; across
   * workers the storage's claim decides). `sentBefore`: only when not sent since (a retry).
   */
  private async attempt(recordId: string, sentBefore?: string): Promise<void> {
    if (this.stopped || this.sending.has(recordId)) return;
    // Taken before the first await: a second attempt of this worker meanwhile returns above.
    this.sending.add(recordId);
    let started = false;
    try {
      const row = await this.deps.store.get(recordId);
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
      if (!(await this.deps.store.claim(recordId, terminalId, new Date().toISOString(), sentBefore))) return;
      const target: DeliveryTarget = { storeId: row.toStore, terminalId };
      started = true;
      this.deps.deliveries
        .send(target, JSON.parse(row.body), { ttlMs: this.options.ttlMs, timeoutMs: this.options.timeoutMs })
        .then((outcome) => this.settle(recordId, outcome))
        .catch(async (error: { code?: string; message?: string }) => {
          if (error.code === 'delivery_timeout') {
            this.deps.logger.info(
              { ...target, deliveryId: row.deliveryId },
              'transfer note not answered yet: queued at the broker, sent again when the terminal is online',
            );
            return;
          }
          // A note that cannot be built or sent at all (no command key, too large): say so once.
          await this.deps.store.settle(
            recordId,
            'refused',
            error.code ?? 'send_failed',
            error.message ?? String(error),
          );
          this.deps.logger.error(
            { ...target, deliveryId: row.deliveryId, err: error },
            'transfer note not sent',
          );
        })
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error, recordId }, 'transfer note not settled'),
        )
        .finally(() => this.sending.delete(recordId));
    } finally {
      if (!started) this.sending.delete(recordId);
    }
  }

  private async settle(recordId: string, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.status === 'accepted' || outcome.status === 'already_imported') {
      await this.deps.store.settle(recordId, 'delivered', null, null);
      return;
    }
    if (TRANSIENT.has(outcome.code ?? '')) return;
    if (await this.deps.store.settle(recordId, 'refused', outcome.code ?? null, outcome.message ?? null))
      this.deps.logger.error(
        { recordId, code: outcome.code, message: outcome.message },
        'transfer note refused by the receiving store',
      );
  }

  /**
   * Upstream's `deliveryOutcome` (the worker that recorded a note's first outcome): also an outcome
   * that came after `send` stopped waiting, or to another worker than the sender.
   */
  readonly onOutcome = async (
    o: { storeId: string; terminalId: string } & DeliveryOutcome,
  ): Promise<void> => {
    if (!o.deliveryId?.startsWith('TR-')) return;
    for (const recordId of await this.deps.store.pendingOf(o.storeId, o.deliveryId))
      await this.settle(recordId, o);
  };

  /** Upstream's `status`: a terminal came online, its store's unanswered notes go again after `retryDelayMs`. */
  readonly onStatus = (s: { storeId: string; terminalId: string; doc: unknown }): void => {
    if ((s.doc as { state?: unknown } | undefined)?.state !== 'online' || this.stopped) return;
    // Terminals republish their status now and then: one retry scheduled per store at a time.
    if (this.timers.has(s.storeId) || this.receivingTerminal(s.storeId) !== s.terminalId) return;
    const timer = setTimeout(() => {
      this.timers.delete(s.storeId);
      // A note sent within the last retryDelayMs (its first send, or a retry, here or at another
      // worker) is given that long.
      const before = new Date(Date.now() - this.options.retryDelayMs).toISOString();
      this.retry(s.storeId, before).catch((error: unknown) =>
        this.deps.logger.error({ err: error, storeId: s.storeId }, 'transfer notes not sent again'),
      );
    }, this.options.retryDelayMs);
    this.timers.set(s.storeId, timer);
  };

  private async retry(storeId: string, sentBefore: string): Promise<void> {
    for (const recordId of await this.deps.store.pendingOf(storeId)) await this.attempt(recordId, sentBefore);
  }
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
