import type { SqliteDatabase } from '../db/open-database.js';

/** One pending record as wire JSON: `[seq, json]`. */
export type PendingJsonRow = [seq: number, json: string];

/** Reads pending records as ready-made JSON text, in sequence order, after `afterSeq`. */
export type PendingJsonReader = (afterSeq: number, limit: number) => PendingJsonRow[];

/**
 * Reads the ledger's outbox (terminal/ledger/schema.ts: `ledger_outbox` joined to
 * `ledger_records`) and lets SQLite write each record's JSON, splicing in the stored canonical
 * payload text as is. The drain then never parses a payload into objects nor serialises it back
 * (~5 µs per record in JS). The text parses to the same `LedgerRecord` as `Ledger.pending()`
 * returns; upstream recomputes every hash from the parsed values, so nothing here is trusted.
 * Read-only: one SELECT, a consistent WAL snapshot.
 */
export function outboxJsonReader(db: SqliteDatabase): PendingJsonReader {
  const q = db
    .prepare(
      `SELECT r.seq,
         '{"id":' || json_quote(r.id) || ',"seq":' || r.seq || ',"type":' || json_quote(r.type) ||
         ',"at":' || json_quote(r.at) || ',"storeId":' || json_quote(r.store_id) ||
         ',"terminalId":' || json_quote(r.terminal_id) || ',"payload":' || r.payload ||
         ',"prevHash":' || json_quote(r.prev_hash) || ',"hash":' || json_quote(r.hash) ||
         ',"signature":' || json_quote(r.signature) || '}'
       FROM ledger_outbox o JOIN ledger_records r ON r.seq = o.seq
       WHERE o.seq > ? ORDER BY o.seq LIMIT ?`,
    )
    .raw(true);
  return (afterSeq, limit) => q.all(afterSeq, limit) as PendingJsonRow[];
}
