import type pg from 'pg';
import type { DeliveryStorage, TransferQueueStorage } from '../contract.js';
import {
  type DiversionSeen,
  deliveryFacts,
  groupListing,
  hasDeliveryFacts,
  type ReceiptSeen,
  type SentNote,
  type TransferNoteRow,
} from '../delivery-types.js';

const NOTE = `id, delivery_id AS "deliveryId", store_id AS "storeId", terminal_id AS "terminalId", units,
  sent_at AS "sentAt", expires_at AS "expiresAt", status, code, message, outcome_at AS "outcomeAt"`;
const RECEIPT = `record_id AS "recordId", store_id AS "storeId", terminal_id AS "terminalId", seq,
  delivery_id AS "deliveryId", outcome, expected_units AS "expectedUnits",
  accepted_units AS "acceptedUnits", exceptions, at`;
const DIVERSION = `record_id AS "recordId", store_id AS "storeId", terminal_id AS "terminalId", seq,
  code_key AS "codeKey", reason, at`;
const TRANSFER = `record_id AS "recordId", delivery_id AS "deliveryId", from_store AS "fromStore",
  from_terminal AS "fromTerminal", to_store AS "toStore", units, state, terminal_id AS "terminalId", attempts,
  last_sent_at AS "lastSentAt", code, message, created_at AS "createdAt"`;
/** Byte order, as the SQLite engine sorts text (a database's locale collation would not). */
const C = 'COLLATE "C"';

/**
 * Delivery notes on PostgreSQL, shared by every worker: each write is one statement whose
 * condition makes it idempotent across workers (ON CONFLICT DO NOTHING per note or record id; an
 * outcome only while the note is still `sent`; a transfer claimed only while pending and not sent
 * since `sentBefore`), so no transaction spans two of them.
 */
export function postgresDeliveries(pool: pg.Pool): DeliveryStorage {
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  const changed = async (text: string, values: unknown[]) => (await pool.query(text, values)).rowCount === 1;
  return {
    recordSent: async (n) => {
      await q(
        `INSERT INTO up_delivery_notes (id, delivery_id, store_id, terminal_id, units, sent_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [n.id, n.deliveryId, n.storeId, n.terminalId, n.units, n.sentAt, n.expiresAt],
      );
    },
    // Under READ COMMITTED a second worker's UPDATE waits for the first's row lock, then re-checks
    // `status = 'sent'` on the new row version: exactly one of them changes the row.
    recordOutcome: (storeId, terminalId, o) =>
      changed(
        `UPDATE up_delivery_notes SET status = $1, code = $2, message = $3, outcome_at = $4
         WHERE id = $5 AND store_id = $6 AND terminal_id = $7 AND status = 'sent'`,
        [
          o.status,
          o.code ?? null,
          o.status === 'refused' ? (o.message ?? null) : null,
          o.at,
          o.id,
          storeId,
          terminalId,
        ],
      ),
    note: async (id) => (await q<SentNote>(`SELECT ${NOTE} FROM up_delivery_notes WHERE id = $1`, [id]))[0],
    noteRecords: async (storeId, terminalId, records) => {
      if (!hasDeliveryFacts(records)) return;
      const { receipts, diversions } = deliveryFacts(storeId, terminalId, records);
      if (receipts.length > 0)
        await q(
          `INSERT INTO up_delivery_receipts (record_id, store_id, terminal_id, seq, delivery_id, outcome,
             expected_units, accepted_units, exceptions, at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
             $7::int[], $8::int[], $9::int[], $10::text[])
           ON CONFLICT DO NOTHING`,
          columns(receipts, [
            'recordId',
            'storeId',
            'terminalId',
            'seq',
            'deliveryId',
            'outcome',
            'expectedUnits',
            'acceptedUnits',
            'exceptions',
            'at',
          ]),
        );
      if (diversions.length > 0)
        await q(
          `INSERT INTO up_diversion_alerts (record_id, store_id, terminal_id, seq, code_key, reason, at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])
           ON CONFLICT DO NOTHING`,
          columns(diversions, ['recordId', 'storeId', 'terminalId', 'seq', 'codeKey', 'reason', 'at']),
        );
    },
    list: async (filter = {}) => {
      const where = filter.storeId !== undefined ? 'WHERE store_id = $1' : '';
      const params = filter.storeId !== undefined ? [filter.storeId] : [];
      const [notes, receipts, diversions] = await Promise.all([
        q<SentNote>(`SELECT ${NOTE} FROM up_delivery_notes ${where} ORDER BY sent_at ${C}, id ${C}`, params),
        q<ReceiptSeen>(
          `SELECT ${RECEIPT} FROM up_delivery_receipts ${where} ORDER BY at ${C}, record_id ${C}`,
          params,
        ),
        q<DiversionSeen>(
          `SELECT ${DIVERSION} FROM up_diversion_alerts ${where} ORDER BY at ${C}, record_id ${C}`,
          params,
        ),
      ]);
      return groupListing(notes, receipts, diversions);
    },
    transfers: postgresTransfers(pool),
  };
}

function postgresTransfers(pool: pg.Pool): TransferQueueStorage {
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  const changed = async (text: string, values: unknown[]) => (await pool.query(text, values)).rowCount === 1;
  return {
    add: (n, refused) =>
      changed(
        `INSERT INTO up_transfer_notes (record_id, delivery_id, from_store, from_terminal, to_store, units, body,
           state, code, message, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING`,
        [
          n.recordId,
          n.deliveryId,
          n.fromStore,
          n.fromTerminal,
          n.toStore,
          n.units,
          n.body,
          refused ? 'refused' : 'pending',
          refused?.code ?? null,
          refused?.message ?? null,
          n.createdAt,
        ],
      ),
    get: async (recordId) =>
      (
        await q<TransferNoteRow & { body: string }>(
          `SELECT ${TRANSFER}, body FROM up_transfer_notes WHERE record_id = $1`,
          [recordId],
        )
      )[0],
    pendingOf: async (toStore, deliveryId) =>
      (
        await q<{ recordId: string }>(
          `SELECT record_id AS "recordId" FROM up_transfer_notes
           WHERE to_store = $1 AND state = 'pending' AND ($2::text IS NULL OR delivery_id = $2)
           ORDER BY created_at ${C}, record_id ${C}`,
          [toStore, deliveryId ?? null],
        )
      ).map((r) => r.recordId),
    claim: (recordId, terminalId, at, sentBefore) =>
      changed(
        `UPDATE up_transfer_notes SET attempts = attempts + 1, last_sent_at = $2, terminal_id = $3
         WHERE record_id = $1 AND state = 'pending'
           AND ($4::text IS NULL OR last_sent_at IS NULL OR last_sent_at ${C} <= $4)`,
        [recordId, at, terminalId, sentBefore ?? null],
      ),
    settle: (recordId, state, code, message) =>
      changed(
        `UPDATE up_transfer_notes SET state = $2, code = $3, message = $4 WHERE record_id = $1 AND state = 'pending'`,
        [recordId, state, code, message],
      ),
    list: (filter = {}) =>
      q<TransferNoteRow>(
        `SELECT ${TRANSFER} FROM up_transfer_notes
         ${filter.storeId === undefined ? '' : 'WHERE to_store = $1 OR from_store = $1'}
         ORDER BY created_at ${C}, record_id ${C}`,
        filter.storeId === undefined ? [] : [filter.storeId],
      ),
  };
}

/** One array parameter per column, for `unnest` (one statement however many rows). */
function columns<T>(rows: readonly T[], keys: readonly (keyof T)[]): unknown[][] {
  return keys.map((k) => rows.map((r) => r[k]));
}
