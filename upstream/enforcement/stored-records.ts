import type { SqliteDatabase } from '../../terminal/db/open-database.js';
import { GENESIS_HASH } from '../../terminal/ledger/canonical.js';
import type { LedgerRecord, RecordType } from '../../terminal/ledger/types.js';

/** A stored record's own columns (both engines keep these as text). */
export interface StoredRecordRow {
  id: string;
  type: string;
  at: string;
  signature: string;
  payload: string;
  hash: string;
}

/**
 * Reads records upstream stored (ingest-store.ts keeps a batch's run as one row of JSON columns,
 * older ones a row per record) back as ledger records, for evidence. Rare (an alert's evidence),
 * so plain lookups by terminal number and seq.
 */
export class StoredRecords {
  private readonly q;

  constructor(db: SqliteDatabase) {
    this.q = {
      num: db.prepare<[string, string], { num: number }>(
        'SELECT num FROM up_terminals WHERE store_id = ? AND terminal_id = ?',
      ),
      row: db.prepare<{ terminal: number; seq: number }, StoredRecordRow>(
        'SELECT id, type, at, signature, payload, hash FROM up_record_rows WHERE terminal = :terminal AND seq = :seq',
      ),
      // A JS number is bound as a REAL: the index is cast, or the JSON path reads '$[2.0]'.
      batch: db.prepare<{ terminal: number; seq: number }, StoredRecordRow>(
        `SELECT json_extract(ids, '$[' || CAST(:seq - first_seq AS INTEGER) || ']') AS id,
           json_extract(types, '$[' || CAST(:seq - first_seq AS INTEGER) || ']') AS type,
           json_extract(ats, '$[' || CAST(:seq - first_seq AS INTEGER) || ']') AS at,
           json_extract(signatures, '$[' || CAST(:seq - first_seq AS INTEGER) || ']') AS signature,
           json_extract(payloads, '$[' || CAST(:seq - first_seq AS INTEGER) || ']') AS payload,
           substr(hashes, (:seq - first_seq) * 64 + 1, 64) AS hash
         FROM up_record_batches WHERE terminal = :terminal AND first_seq <= :seq AND last_seq >= :seq
         ORDER BY first_seq DESC LIMIT 1`,
      ),
    };
  }

  /** The stored record at `seq` of a terminal, or undefined when upstream holds none. */
  record(storeId: string, terminalId: string, seq: number): LedgerRecord | undefined {
    const terminal = this.q.num.get(storeId, terminalId)?.num;
    if (terminal === undefined || seq < 1) return undefined;
    const row = this.rowAt(terminal, seq);
    if (!row) return undefined;
    const prevHash = seq === 1 ? GENESIS_HASH : this.rowAt(terminal, seq - 1)?.hash;
    if (prevHash === undefined) return undefined;
    return recordFromRow(row, { storeId, terminalId, seq, prevHash });
  }

  private rowAt(terminal: number, seq: number): StoredRecordRow | undefined {
    return this.q.row.get({ terminal, seq }) ?? this.q.batch.get({ terminal, seq });
  }
}

/** A stored row back as the ledger record it was, with what the row does not keep. */
export function recordFromRow(
  row: StoredRecordRow,
  at: { storeId: string; terminalId: string; seq: number; prevHash: string },
): LedgerRecord {
  return {
    id: row.id,
    seq: at.seq,
    type: row.type as RecordType,
    at: row.at,
    storeId: at.storeId,
    terminalId: at.terminalId,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    prevHash: at.prevHash,
    hash: row.hash,
    signature: row.signature,
  };
}
