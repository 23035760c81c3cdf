import { migrate, type SqliteDatabase } from '../terminal/db/open-database.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import type { DeliveryOutcome } from '../terminal/sync/protocol.js';
import {
  type DeliveryListing,
  type DiversionSeen,
  deliveryFacts,
  groupListing,
  type NewSentNote,
  type ReceiptSeen,
  type SentNote,
} from './storage/delivery-types.js';

export type {
  DeliveryListing,
  DiversionSeen,
  ReceiptSeen,
  SentNote,
  SentNoteStatus,
} from './storage/delivery-types.js';

/**
 * The SQLite engine's record of delivery notes (issue 18; storage/contract.ts `DeliveryStorage`,
 * which SqliteUpstreamStorage wraps around this): the notes upstream sent and each terminal's
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

  recordSent(note: NewSentNote): void {
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
    const { receipts, diversions } = deliveryFacts(storeId, terminalId, records);
    if (receipts.length === 0 && diversions.length === 0) return;
    this.db.transaction(() => {
      for (const r of receipts)
        this.q.receipt.run(
          r.recordId,
          r.storeId,
          r.terminalId,
          r.seq,
          r.deliveryId,
          r.outcome,
          r.expectedUnits,
          r.acceptedUnits,
          r.exceptions,
          r.at,
        );
      for (const d of diversions)
        this.q.diversion.run(d.recordId, d.storeId, d.terminalId, d.seq, d.codeKey, d.reason, d.at);
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
    return groupListing(notes, receipts, diversions);
  }
}
