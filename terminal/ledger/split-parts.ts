import type { SqliteDatabase } from '../db/open-database.js';
import type { ReturnPayload, SalePayload } from './payloads.js';
import type { LedgerRecord } from './types.js';

/**
 * `ledger_split_parts`: one row per split-pack sale line (a `sale` line with `part`), written in
 * the sale record's transaction; a return of the line sets `returned_seq`. The parts of a code
 * still sold are the sum over its rows with no `returned_seq`, so a pack's remaining quantity is
 * `packQuantity` minus that sum. A projection like the others: `replaySplitParts` derives the same
 * rows from the records alone (`Ledger.rebuildSplitParts` rewrites the table from them).
 */
export const SPLIT_PARTS_MIGRATION = `CREATE TABLE ledger_split_parts (
     seq INTEGER NOT NULL REFERENCES ledger_records (seq),
     line INTEGER NOT NULL,
     code_key TEXT NOT NULL,
     quantity INTEGER NOT NULL CHECK (quantity >= 1),
     pack_quantity INTEGER NOT NULL CHECK (pack_quantity >= quantity),
     returned_seq INTEGER REFERENCES ledger_records (seq),
     PRIMARY KEY (seq, line)
   ) WITHOUT ROWID;
   CREATE INDEX ledger_split_parts_open ON ledger_split_parts (code_key) WHERE returned_seq IS NULL;`;

// The sale's id, time and store are its record's (joined by seq when a return needs them): a
// narrower row is a cheaper insert on the sale's path.
export const INSERT_SPLIT_PART_SQL = `INSERT INTO ledger_split_parts (seq, line, code_key, quantity, pack_quantity)
   VALUES (?, ?, ?, ?, ?)`;

/** A split-pack sale line not returned: what a return of a part takes back. */
export interface SoldPart {
  /** The sale record's seq and the line's index in it. */
  saleSeq: number;
  line: number;
  saleId: string;
  at: string;
  storeId: string;
  quantity: number;
  packQuantity: number;
}

/** One row of the projection, as `replaySplitParts` derives it. */
export interface SplitPartRow extends SoldPart {
  codeKey: string;
  returnedSeq: number | null;
}

/** The split-part rows of a sale record, in line order. */
export function splitPartsOfSale(record: LedgerRecord<SalePayload>): SplitPartRow[] {
  const rows: SplitPartRow[] = [];
  record.payload.lines.forEach((l, line) => {
    if (!l.part) return;
    rows.push({
      saleSeq: record.seq,
      line,
      codeKey: l.codeKey,
      saleId: record.id,
      at: record.at,
      storeId: record.storeId,
      quantity: l.part.quantity,
      packQuantity: l.part.packQuantity,
      returnedSeq: null,
    });
  });
  return rows;
}

/** The projection's rows derived from the records alone (sales add rows, returns mark them). */
export function replaySplitParts(records: Iterable<LedgerRecord>): SplitPartRow[] {
  const rows = new Map<string, SplitPartRow>();
  for (const record of records) {
    if (record.type === 'sale') {
      for (const row of splitPartsOfSale(record as LedgerRecord<SalePayload>)) {
        rows.set(`${row.saleSeq}:${row.line}`, row);
      }
    } else if (record.type === 'return') {
      for (const l of (record as LedgerRecord<ReturnPayload>).payload.lines) {
        const row = l.part && rows.get(`${l.part.saleSeq}:${l.part.line}`);
        if (row && row.returnedSeq === null) row.returnedSeq = record.seq;
      }
    }
  }
  return [...rows.values()];
}

/** The projection's rows as stored, in (seq, line) order. */
export function storedSplitParts(db: SqliteDatabase): SplitPartRow[] {
  const rows = db
    .prepare(
      `SELECT s.seq, s.line, s.code_key, s.quantity, s.pack_quantity, r.id AS sale_id, r.at, r.store_id,
         s.returned_seq
       FROM ledger_split_parts s JOIN ledger_records r ON r.seq = s.seq ORDER BY s.seq, s.line`,
    )
    .all() as Record<string, unknown>[];
  return rows.map((r) => ({
    saleSeq: r.seq as number,
    line: r.line as number,
    codeKey: r.code_key as string,
    quantity: r.quantity as number,
    packQuantity: r.pack_quantity as number,
    saleId: r.sale_id as string,
    at: r.at as string,
    storeId: r.store_id as string,
    returnedSeq: (r.returned_seq as number | null) ?? null,
  }));
}
