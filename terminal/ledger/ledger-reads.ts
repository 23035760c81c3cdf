import type { SqliteDatabase } from '../db/open-database.js';
import { outboxRunReader, type PendingRunReader } from './outbox-json.js';
import type { RecordPayloads, ReturnPayload } from './payloads.js';
import { payloadOf } from './record-decoders.js';
import type { SoldPart } from './split-parts.js';
import type {
  ActiveWriteOff,
  LedgerRecord,
  PendingRun,
  RecordType,
  ReturnedWriteOff,
  StoredSale,
} from './types.js';

export interface RecordRow {
  seq: number;
  id: string;
  type: string;
  at: string;
  store_id: string;
  terminal_id: string;
  payload: string;
  prev_hash: string;
  hash: string;
  signature: string;
}

export function rowToRecord<P = Record<string, unknown>>(row: RecordRow): LedgerRecord<P> {
  return {
    id: row.id,
    seq: row.seq,
    type: row.type as RecordType,
    at: row.at,
    storeId: row.store_id,
    terminalId: row.terminal_id,
    payload: JSON.parse(row.payload) as P,
    prevHash: row.prev_hash,
    hash: row.hash,
    signature: row.signature,
  };
}

/** A stored record with its payload decoded as `type` (record-decoders.ts); a typed fault otherwise. */
function decodedAs<T extends RecordType>(row: RecordRow, type: T): LedgerRecord<RecordPayloads[T]> {
  const record = rowToRecord(row);
  return { ...record, payload: payloadOf(record, type) };
}

/** A `ledger_write_offs` row as the write-off queries select it. */
interface WriteOffRow {
  at: string;
  sale_id: string;
  store_id: string;
  terminal_id: string;
  record_id: string;
  seq: number;
}

function toWriteOff(row: WriteOffRow): ActiveWriteOff {
  return {
    at: row.at,
    saleId: row.sale_id,
    storeId: row.store_id,
    terminalId: row.terminal_id,
    writeOffId: row.record_id,
    writeOffSeq: row.seq,
  };
}

const COLUMNS =
  'r.seq, r.id, r.type, r.at, r.store_id, r.terminal_id, r.payload, r.prev_hash, r.hash, r.signature';

/** The read side of the ledger; every query is a single statement (a consistent WAL snapshot). */
export class LedgerReads {
  #pendingRun: PendingRunReader | undefined;
  private readonly q;

  constructor(readonly db: SqliteDatabase) {
    this.q = {
      writeOff: db.prepare(
        `SELECT at, sale_id, store_id, terminal_id, record_id, seq FROM ledger_write_offs
         WHERE code_key = ? AND returned_seq IS NULL`,
      ),
      // Only returned write-offs (the partial index ledger_write_offs_returned): rare, and asked
      // only when the registry says a code was sold here.
      returnedWriteOff: db.prepare(
        `SELECT at, sale_id, store_id, terminal_id, record_id, seq, returned_seq FROM ledger_write_offs
         WHERE code_key = ? AND at = ? AND returned_seq IS NOT NULL ORDER BY seq DESC LIMIT 1`,
      ),
      // json_each keeps one prepared statement for any number of keys (one native call per sale).
      writeOffsOf: db.prepare(
        `SELECT code_key, at, sale_id, store_id, terminal_id, record_id, seq FROM ledger_write_offs
         WHERE code_key IN (SELECT value FROM json_each(?)) AND returned_seq IS NULL`,
      ),
      splitSold: db.prepare(
        `SELECT code_key, SUM(quantity) AS sold FROM ledger_split_parts
         WHERE code_key IN (SELECT value FROM json_each(?)) AND returned_seq IS NULL GROUP BY code_key`,
      ),
      splitSoldOne: db
        .prepare('SELECT SUM(quantity) FROM ledger_split_parts WHERE code_key = ? AND returned_seq IS NULL')
        .pluck(),
      soldParts: db.prepare(
        `SELECT s.seq, s.line, r.id AS sale_id, r.at, r.store_id, s.quantity, s.pack_quantity
         FROM ledger_split_parts s JOIN ledger_records r ON r.seq = s.seq
         WHERE s.code_key = ? AND s.returned_seq IS NULL ORDER BY s.seq DESC, s.line DESC`,
      ),
      pending: db.prepare(
        `SELECT ${COLUMNS} FROM ledger_outbox o JOIN ledger_records r ON r.seq = o.seq
         WHERE o.seq > ? ORDER BY o.seq LIMIT ?`,
      ),
      pendingStats: db.prepare(
        `SELECT COUNT(*) AS n, MIN(r.at) AS oldest FROM ledger_outbox o JOIN ledger_records r ON r.seq = o.seq`,
      ),
      meta: db.prepare('SELECT value FROM ledger_meta WHERE key = ?'),
      headSeq: db.prepare('SELECT IFNULL(MAX(seq), 0) AS seq FROM ledger_records'),
      head: db.prepare('SELECT seq, hash FROM ledger_records ORDER BY seq DESC LIMIT 1'),
      records: db.prepare(`SELECT ${COLUMNS} FROM ledger_records r WHERE r.seq > ? ORDER BY r.seq LIMIT ?`),
      byId: db.prepare(`SELECT ${COLUMNS} FROM ledger_records r WHERE r.id = ?`),
      bySeq: db.prepare(`SELECT ${COLUMNS} FROM ledger_records r WHERE r.seq = ?`),
      saleByRef: db.prepare('SELECT sale_id FROM ledger_sales WHERE external_ref = ?'),
      returnByRef: db.prepare(
        `SELECT ${COLUMNS} FROM ledger_returns x JOIN ledger_records r ON r.seq = x.seq WHERE x.external_ref = ?`,
      ),
      saleWriteOffs: db.prepare(
        `SELECT ${COLUMNS} FROM ledger_write_offs w JOIN ledger_records r ON r.seq = w.seq WHERE w.sale_id = ? ORDER BY w.seq`,
      ),
      between: db.prepare(
        `SELECT ${COLUMNS} FROM ledger_records r WHERE r.at >= ? AND r.at < ? ORDER BY r.seq`,
      ),
    };
  }

  /** The active write-off of a code here (undefined when never sold here or returned since). */
  writeOffOf(key: string): ActiveWriteOff | undefined {
    const row = this.q.writeOff.get(key) as WriteOffRow | undefined;
    return row && toWriteOff(row);
  }

  /**
   * The write-off of `key` made here at `at` (a record's ISO time, as the registry's `soldAt.at`
   * copies it) if a return has taken it back since; undefined otherwise.
   */
  returnedWriteOffOf(key: string, at: string): ReturnedWriteOff | undefined {
    const row = this.q.returnedWriteOff.get(key, at) as (WriteOffRow & { returned_seq: number }) | undefined;
    return row && { ...toWriteOff(row), returnedSeq: row.returned_seq };
  }

  /** The active write-offs among `keys` (one query for a whole basket), by code key. */
  writeOffsOf(keys: readonly string[]): Map<string, ActiveWriteOff> {
    const found = new Map<string, ActiveWriteOff>();
    if (keys.length === 0) return found;
    const rows = this.q.writeOffsOf.all(JSON.stringify(keys)) as (WriteOffRow & { code_key: string })[];
    for (const row of rows) found.set(row.code_key, toWriteOff(row));
    return found;
  }

  /** Parts of each split pack among `keys` sold here and not returned (absent: none). */
  splitSoldOf(keys: readonly string[]): Map<string, number> {
    const found = new Map<string, number>();
    if (keys.length === 0) return found;
    if (keys.length === 1) {
      // One scan (the kiosk, a basket line): a plain indexed lookup, no json_each.
      const sold = this.q.splitSoldOne.get(keys[0]) as number | null;
      if (sold) found.set(keys[0]!, sold);
      return found;
    }
    const rows = this.q.splitSold.all(JSON.stringify(keys)) as { code_key: string; sold: number }[];
    for (const row of rows) found.set(row.code_key, row.sold);
    return found;
  }

  /** The split-pack sale lines of `key` not returned, newest first (what a return takes back). */
  soldPartsOf(key: string): SoldPart[] {
    const rows = this.q.soldParts.all(key) as Record<string, unknown>[];
    return rows.map((r) => ({
      saleSeq: r.seq as number,
      line: r.line as number,
      saleId: r.sale_id as string,
      at: r.at as string,
      storeId: r.store_id as string,
      quantity: r.quantity as number,
      packQuantity: r.pack_quantity as number,
    }));
  }

  /** OutboxReader fast path: see outbox-json.ts. */
  pendingRun(afterSeq: number, limit: number, maxBytes: number): PendingRun | undefined {
    this.#pendingRun ??= outboxRunReader(this.db);
    return this.#pendingRun(afterSeq, limit, maxBytes);
  }

  pending(afterSeq: number, limit: number): LedgerRecord[] {
    return (this.q.pending.all(afterSeq, limit) as RecordRow[]).map((row) => rowToRecord(row));
  }

  stats(): { pending: number; oldestPendingAt?: string; lastAckedSeq: number } {
    const row = this.q.pendingStats.get() as { n: number; oldest: string | null };
    return {
      pending: row.n,
      ...(row.oldest !== null ? { oldestPendingAt: row.oldest } : {}),
      lastAckedSeq: this.lastAckedSeq(),
    };
  }

  lastAckedSeq(): number {
    return Number(this.meta('last_acked_seq') ?? 0);
  }

  headSeq(): number {
    return (this.q.headSeq.get() as { seq: number }).seq;
  }

  /** Sequence and hash of the newest record (seq 0 and undefined hash when empty). */
  head(): { seq: number; hash?: string } {
    const row = this.q.head.get() as { seq: number; hash: string } | undefined;
    return row ?? { seq: 0 };
  }

  meta(key: string): string | undefined {
    return (this.q.meta.get(key) as { value: string } | undefined)?.value;
  }

  /** Records after `afterSeq` in sequence order. */
  records(afterSeq = 0, limit = 1000): LedgerRecord[] {
    return (this.q.records.all(afterSeq, limit) as RecordRow[]).map((row) => rowToRecord(row));
  }

  /** Every record after `afterSeq`, streamed in sequence order. */
  *iterate(afterSeq = 0): Generator<LedgerRecord> {
    const query = this.db.prepare(`SELECT ${COLUMNS} FROM ledger_records r WHERE r.seq > ? ORDER BY r.seq`);
    for (const row of query.iterate(afterSeq)) {
      yield rowToRecord(row as RecordRow);
    }
  }

  /** Records whose `at` is in [fromIso, toIso) in sequence order. */
  recordsBetween(fromIso: string, toIso: string): LedgerRecord[] {
    return (this.q.between.all(fromIso, toIso) as RecordRow[]).map((row) => rowToRecord(row));
  }

  record(id: string): LedgerRecord | undefined {
    const row = this.q.byId.get(id) as RecordRow | undefined;
    return row ? rowToRecord(row) : undefined;
  }

  recordAt(seq: number): LedgerRecord | undefined {
    const row = this.q.bySeq.get(seq) as RecordRow | undefined;
    return row ? rowToRecord(row) : undefined;
  }

  /** A sale with its write-off records, by sale id, payloads decoded (record-decoders.ts). */
  sale(saleId: string): StoredSale | undefined {
    const row = this.q.byId.get(saleId) as RecordRow | undefined;
    if (row?.type !== 'sale') return undefined;
    const writeOffs = (this.q.saleWriteOffs.all(saleId) as RecordRow[]).map((w) => decodedAs(w, 'write_off'));
    return { sale: decodedAs(row, 'sale'), writeOffs };
  }

  saleByExternalRef(externalRef: string): StoredSale | undefined {
    const row = this.q.saleByRef.get(externalRef) as { sale_id: string } | undefined;
    return row ? this.sale(row.sale_id) : undefined;
  }

  returnByExternalRef(externalRef: string): LedgerRecord<ReturnPayload> | undefined {
    const row = this.q.returnByRef.get(externalRef) as RecordRow | undefined;
    return row ? decodedAs(row, 'return') : undefined;
  }
}
