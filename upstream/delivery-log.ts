import { migrate, type SqliteDatabase } from '../terminal/db/open-database.js';
import { decodePayload } from '../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import type { DeliveryOutcome } from '../terminal/sync/protocol.js';

/**
 * Upstream's own record of delivery notes (issue 18): the notes it sent and each terminal's
 * outcome, the goods receipts (`receipt` records) and `diversion` alerts its ingest accepted.
 * Its own migration module (`upstream_deliveries`) and tables, read and written only here, so the
 * ingest store stays as it is. Receipts and alerts are noted from records ingest has committed
 * (`noteRecords`); the authoritative unit facts stay in ingest's `up_unit_events` (`received`).
 */
const STEPS = [
  `CREATE TABLE up_delivery_notes (
     id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
     units INTEGER NOT NULL, sent_at TEXT NOT NULL, expires_at TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'sent', code TEXT, message TEXT, outcome_at TEXT);
   CREATE INDEX up_delivery_notes_delivery ON up_delivery_notes (store_id, delivery_id);
   CREATE TABLE up_delivery_receipts (
     record_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL,
     delivery_id TEXT NOT NULL, outcome TEXT NOT NULL, expected_units INTEGER NOT NULL,
     accepted_units INTEGER NOT NULL, exceptions INTEGER NOT NULL, at TEXT NOT NULL);
   CREATE INDEX up_delivery_receipts_delivery ON up_delivery_receipts (store_id, delivery_id);
   CREATE TABLE up_diversion_alerts (
     record_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL,
     code_key TEXT, reason TEXT, at TEXT NOT NULL);`,
];

export type SentNoteStatus = 'sent' | DeliveryOutcome['status'];

export interface SentNote {
  id: string;
  deliveryId: string;
  storeId: string;
  terminalId: string;
  units: number;
  sentAt: string;
  expiresAt: string;
  status: SentNoteStatus;
  code: string | null;
  message: string | null;
  outcomeAt: string | null;
}

export interface ReceiptSeen {
  recordId: string;
  storeId: string;
  terminalId: string;
  seq: number;
  deliveryId: string;
  outcome: 'complete' | 'partial';
  expectedUnits: number;
  acceptedUnits: number;
  exceptions: number;
  at: string;
}

export interface DiversionSeen {
  recordId: string;
  storeId: string;
  terminalId: string;
  seq: number;
  codeKey: string | null;
  reason: string | null;
  at: string;
}

/** A delivery as `veriterm upstream deliveries` lists it: the note sent and its receipts. */
export interface DeliveryListing {
  notes: (SentNote & { receipts: ReceiptSeen[] })[];
  /** Receipts of deliveries this upstream did not send (imported from a file at the store). */
  otherReceipts: ReceiptSeen[];
  diversions: DiversionSeen[];
}

export class DeliveryLog {
  private readonly q;

  constructor(readonly db: SqliteDatabase) {
    migrate(db, 'upstream_deliveries', STEPS);
    this.q = {
      sent: db.prepare(
        `INSERT OR IGNORE INTO up_delivery_notes (id, delivery_id, store_id, terminal_id, units, sent_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      // The first outcome wins: a QoS 1 redelivery the terminal refuses as `replayed` must not
      // overwrite the `accepted` it answered first. Only the addressed terminal may answer.
      outcome: db.prepare(
        `UPDATE up_delivery_notes SET status = ?, code = ?, message = ?, outcome_at = ?
         WHERE id = ? AND store_id = ? AND terminal_id = ? AND status = 'sent'`,
      ),
      receipt: db.prepare(
        `INSERT OR IGNORE INTO up_delivery_receipts (record_id, store_id, terminal_id, seq, delivery_id, outcome,
           expected_units, accepted_units, exceptions, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      diversion: db.prepare(
        `INSERT OR IGNORE INTO up_diversion_alerts (record_id, store_id, terminal_id, seq, code_key, reason, at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      note: db.prepare(
        `SELECT id, delivery_id AS deliveryId, store_id AS storeId, terminal_id AS terminalId, units,
           sent_at AS sentAt, expires_at AS expiresAt, status, code, message, outcome_at AS outcomeAt
         FROM up_delivery_notes WHERE id = ?`,
      ),
    };
  }

  recordSent(note: Omit<SentNote, 'status' | 'code' | 'message' | 'outcomeAt'>): void {
    this.q.sent.run(
      note.id,
      note.deliveryId,
      note.storeId,
      note.terminalId,
      note.units,
      note.sentAt,
      note.expiresAt,
    );
  }

  /** True when this was the note's first outcome (and it was addressed to this terminal). */
  recordOutcome(storeId: string, terminalId: string, outcome: DeliveryOutcome): boolean {
    const detail = outcome.status === 'refused' ? (outcome.message ?? null) : null;
    return (
      this.q.outcome.run(
        outcome.status,
        outcome.code ?? null,
        detail,
        outcome.at,
        outcome.id,
        storeId,
        terminalId,
      ).changes === 1
    );
  }

  note(id: string): SentNote | undefined {
    return this.q.note.get(id) as SentNote | undefined;
  }

  /**
   * Notes the receipts and diversion alerts among records ingest accepted (idempotent per record
   * id, so a re-ingest or a second worker adds nothing). Payloads the shared decoder refuses are
   * skipped: ingest already raised its `undecodable_record` alert for them.
   */
  noteRecords(storeId: string, terminalId: string, records: readonly LedgerRecord[]): void {
    const wanted = records.filter((r) => r.type === 'receipt' || r.type === 'alert');
    if (wanted.length === 0) return;
    this.db.transaction(() => {
      for (const r of wanted) {
        const decoded = decodePayload(r.type, r.payload);
        if (!decoded.ok) continue;
        if (decoded.type === 'receipt') {
          const p = decoded.payload;
          this.q.receipt.run(
            r.id,
            storeId,
            terminalId,
            r.seq,
            p.deliveryId,
            p.outcome,
            p.expectedUnits,
            decoded.unitChanges.length,
            p.exceptions.length,
            r.at,
          );
        } else if (decoded.type === 'alert' && decoded.payload.kind === 'diversion') {
          const p = decoded.payload;
          this.q.diversion.run(r.id, storeId, terminalId, r.seq, p.codeKey ?? null, p.reason ?? null, r.at);
        }
      }
    })();
  }

  list(filter: { storeId?: string } = {}): DeliveryListing {
    const where = filter.storeId !== undefined ? 'WHERE store_id = @storeId' : '';
    const params = filter.storeId !== undefined ? { storeId: filter.storeId } : {};
    const notes = this.db
      .prepare(
        `SELECT id, delivery_id AS deliveryId, store_id AS storeId, terminal_id AS terminalId, units,
           sent_at AS sentAt, expires_at AS expiresAt, status, code, message, outcome_at AS outcomeAt
         FROM up_delivery_notes ${where} ORDER BY sent_at, id`,
      )
      .all(params) as SentNote[];
    const receipts = this.db
      .prepare(
        `SELECT record_id AS recordId, store_id AS storeId, terminal_id AS terminalId, seq,
           delivery_id AS deliveryId, outcome, expected_units AS expectedUnits,
           accepted_units AS acceptedUnits, exceptions, at
         FROM up_delivery_receipts ${where} ORDER BY at, record_id`,
      )
      .all(params) as ReceiptSeen[];
    const diversions = this.db
      .prepare(
        `SELECT record_id AS recordId, store_id AS storeId, terminal_id AS terminalId, seq,
           code_key AS codeKey, reason, at
         FROM up_diversion_alerts ${where} ORDER BY at, record_id`,
      )
      .all(params) as DiversionSeen[];
    const key = (storeId: string, deliveryId: string) => `${storeId}\u0000${deliveryId}`;
    const byDelivery = new Map<string, ReceiptSeen[]>();
    for (const r of receipts) {
      const k = key(r.storeId, r.deliveryId);
      byDelivery.set(k, [...(byDelivery.get(k) ?? []), r]);
    }
    const sent = new Set(notes.map((n) => key(n.storeId, n.deliveryId)));
    return {
      notes: notes.map((n) => ({ ...n, receipts: byDelivery.get(key(n.storeId, n.deliveryId)) ?? [] })),
      otherReceipts: receipts.filter((r) => !sent.has(key(r.storeId, r.deliveryId))),
      diversions,
    };
  }
}
