import { migrate, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import type { NewTransferNote, TransferNoteRow, TransferNoteState } from '../delivery-types.js';

/** The SQLite engine's transfer-note queue (contract.ts `TransferQueueStorage`); append-only steps. */
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

const COLUMNS = `record_id AS recordId, delivery_id AS deliveryId, from_store AS fromStore,
  from_terminal AS fromTerminal, to_store AS toStore, units, state, terminal_id AS terminalId, attempts,
  last_sent_at AS lastSentAt, code, message, created_at AS createdAt`;

/** Synchronous inside (one statement each); SqliteUpstreamStorage wraps it in promises. */
export class SqliteTransferQueue {
  private readonly q;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'upstream_transfers', STEPS);
    this.q = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO up_transfer_notes (record_id, delivery_id, from_store, from_terminal, to_store,
           units, body, state, code, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      row: db.prepare(`SELECT ${COLUMNS}, body FROM up_transfer_notes WHERE record_id = ?`),
      pendingOf: db.prepare(
        `SELECT record_id AS recordId FROM up_transfer_notes WHERE to_store = ? AND state = 'pending'
         ORDER BY created_at, record_id`,
      ),
      byDelivery: db.prepare(
        `SELECT record_id AS recordId FROM up_transfer_notes WHERE to_store = ? AND delivery_id = ? AND state = 'pending'`,
      ),
      claim: db.prepare(
        `UPDATE up_transfer_notes SET attempts = attempts + 1, last_sent_at = @at, terminal_id = @terminalId
         WHERE record_id = @recordId AND state = 'pending'
           AND (@sentBefore IS NULL OR last_sent_at IS NULL OR last_sent_at <= @sentBefore)`,
      ),
      settle: db.prepare(
        `UPDATE up_transfer_notes SET state = ?, code = ?, message = ? WHERE record_id = ? AND state = 'pending'`,
      ),
    };
  }

  add(note: NewTransferNote, refused?: { code: string; message: string }): boolean {
    return (
      this.q.insert.run(
        note.recordId,
        note.deliveryId,
        note.fromStore,
        note.fromTerminal,
        note.toStore,
        note.units,
        note.body,
        refused ? 'refused' : 'pending',
        refused?.code ?? null,
        refused?.message ?? null,
        note.createdAt,
      ).changes === 1
    );
  }

  get(recordId: string): (TransferNoteRow & { body: string }) | undefined {
    return this.q.row.get(recordId) as (TransferNoteRow & { body: string }) | undefined;
  }

  pendingOf(toStore: string, deliveryId?: string): string[] {
    const rows = (
      deliveryId === undefined ? this.q.pendingOf.all(toStore) : this.q.byDelivery.all(toStore, deliveryId)
    ) as { recordId: string }[];
    return rows.map((r) => r.recordId);
  }

  claim(recordId: string, terminalId: string, at: string, sentBefore?: string): boolean {
    return this.q.claim.run({ recordId, terminalId, at, sentBefore: sentBefore ?? null }).changes === 1;
  }

  settle(
    recordId: string,
    state: Exclude<TransferNoteState, 'pending'>,
    code: string | null,
    message: string | null,
  ): boolean {
    return this.q.settle.run(state, code, message, recordId).changes === 1;
  }

  list(filter: { storeId?: string } = {}): TransferNoteRow[] {
    const where = filter.storeId === undefined ? '' : 'WHERE to_store = @storeId OR from_store = @storeId';
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM up_transfer_notes ${where} ORDER BY created_at, record_id`)
      .all(filter.storeId === undefined ? {} : { storeId: filter.storeId }) as TransferNoteRow[];
  }
}
