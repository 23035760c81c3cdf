import type pg from 'pg';
import type { SqliteDatabase } from '../../../terminal/db/open-database.js';

/** What one table's import did: rows in the local file, rows added (or, for notes, outcomes filled in). */
export interface ImportedTable {
  table: string;
  local: number;
  copied: number;
}

interface TableCopy {
  table: string;
  key: string;
  /** Column name and its PostgreSQL array type for `unnest`, as both engines name them. */
  columns: [string, string][];
  /**
   * What a row already there takes from the local one. Notes: the local outcome when the database
   * has none yet (the first outcome wins, as `recordOutcome` keeps it).
   */
  onConflict: string;
}

const TABLES: readonly TableCopy[] = [
  {
    table: 'up_delivery_notes',
    key: 'id',
    columns: [
      ['id', 'text'],
      ['delivery_id', 'text'],
      ['store_id', 'text'],
      ['terminal_id', 'text'],
      ['units', 'int'],
      ['sent_at', 'text'],
      ['expires_at', 'text'],
      ['status', 'text'],
      ['code', 'text'],
      ['message', 'text'],
      ['outcome_at', 'text'],
    ],
    onConflict: `DO UPDATE SET status = excluded.status, code = excluded.code, message = excluded.message,
      outcome_at = excluded.outcome_at
      WHERE up_delivery_notes.status = 'sent' AND excluded.status <> 'sent'`,
  },
  {
    table: 'up_delivery_receipts',
    key: 'record_id',
    columns: [
      ['record_id', 'text'],
      ['store_id', 'text'],
      ['terminal_id', 'text'],
      ['seq', 'bigint'],
      ['delivery_id', 'text'],
      ['outcome', 'text'],
      ['expected_units', 'int'],
      ['accepted_units', 'int'],
      ['exceptions', 'int'],
      ['at', 'text'],
    ],
    onConflict: 'DO NOTHING',
  },
  {
    table: 'up_diversion_alerts',
    key: 'record_id',
    columns: [
      ['record_id', 'text'],
      ['store_id', 'text'],
      ['terminal_id', 'text'],
      ['seq', 'bigint'],
      ['code_key', 'text'],
      ['reason', 'text'],
      ['at', 'text'],
    ],
    onConflict: 'DO NOTHING',
  },
  {
    table: 'up_transfer_notes',
    key: 'record_id',
    columns: [
      ['record_id', 'text'],
      ['delivery_id', 'text'],
      ['from_store', 'text'],
      ['from_terminal', 'text'],
      ['to_store', 'text'],
      ['units', 'int'],
      ['body', 'text'],
      ['state', 'text'],
      ['terminal_id', 'text'],
      ['attempts', 'int'],
      ['last_sent_at', 'text'],
      ['code', 'text'],
      ['message', 'text'],
      ['created_at', 'text'],
    ],
    onConflict: 'DO NOTHING',
  },
];

/** Rows per INSERT (each column one array parameter). */
const ROWS_PER_STATEMENT = 1000;

/**
 * Copies the delivery notes a worker kept in its SQLite `upstream.db` before its deployment moved
 * to PostgreSQL (notes sent and their outcomes, goods receipts, diversion alerts, transfer notes):
 * `veriterm upstream deliveries import-local`. Idempotent: every row is keyed as on both engines
 * (note id, record id) and a row already there is kept, so a second run, or a run beside workers
 * that recorded the same receipt, adds nothing. One transaction: all of it, or nothing.
 * A table the local file never had (a worker that sent no note) counts as empty.
 */
export async function importLocalDeliveries(local: SqliteDatabase, pool: pg.Pool): Promise<ImportedTable[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const done: ImportedTable[] = [];
    for (const spec of TABLES) done.push(await copyTable(local, client, spec));
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function copyTable(
  local: SqliteDatabase,
  client: pg.PoolClient,
  spec: TableCopy,
): Promise<ImportedTable> {
  const result = { table: spec.table, local: 0, copied: 0 };
  const exists = local
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(spec.table);
  if (!exists) return result;
  const names = spec.columns.map(([name]) => name);
  const insert = `INSERT INTO ${spec.table} (${names.join(', ')})
    SELECT * FROM unnest(${spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
    ON CONFLICT (${spec.key}) ${spec.onConflict}`;
  // Read a page at a time: a busy store's years of receipts need not fit in memory at once.
  const rows = local
    .prepare(`SELECT ${names.join(', ')} FROM ${spec.table} ORDER BY rowid`)
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  let page: unknown[][] = [];
  const flush = async () => {
    const arrays = names.map((_, c) => page.map((row) => row[c] ?? null));
    result.copied += (await client.query(insert, arrays)).rowCount ?? 0;
    page = [];
  };
  for (const row of rows) {
    result.local++;
    page.push(row);
    if (page.length === ROWS_PER_STATEMENT) await flush();
  }
  if (page.length > 0) await flush();
  return result;
}
