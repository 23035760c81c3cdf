import type { SqliteDatabase } from '../../terminal/db/open-database.js';
import type { EnforcementPort, UnitSale } from './enforcement-recorder.js';
import { migrateEnforcement } from './schema.js';
import { StoredRecords } from './stored-records.js';

/**
 * The recorder's port on the SQLite engine: straight reads and writes inside the open ingest
 * transaction (ingest-store.ts holds it with BEGIN IMMEDIATE, so nothing else writes meanwhile).
 */
export function sqliteEnforcementPort(
  db: SqliteDatabase,
  deps: Pick<EnforcementPort, 'publicKeyOf' | 'raise'>,
): EnforcementPort {
  migrateEnforcement(db);
  const stored = new StoredRecords(db);
  const q = {
    sale: db.prepare<[string], UnitSale>(
      'SELECT store_id, terminal_id, seq, at, returned FROM enf_unit_sales WHERE key = ?',
    ),
    setSale: db.prepare(
      `INSERT INTO enf_unit_sales (key, store_id, terminal_id, seq, record_id, at, returned)
       VALUES (?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (key) DO UPDATE SET store_id = excluded.store_id, terminal_id = excluded.terminal_id,
         seq = excluded.seq, record_id = excluded.record_id, at = excluded.at, returned = 0`,
    ),
    returned: db.prepare('UPDATE enf_unit_sales SET returned = 1 WHERE key = ? AND record_id = ?'),
    conflicts: db.prepare<[string, string, number, number], { seq: number }>(
      `SELECT seq FROM up_alerts WHERE store_id = ? AND terminal_id = ? AND kind = 'conflict'
       AND seq BETWEEN ? AND ? ORDER BY seq`,
    ),
    insert: db.prepare(
      `INSERT OR IGNORE INTO enf_alerts (detected_at, at, kind, source, store_id, terminal_id, seq,
         other_store_id, other_terminal_id, code, product, message, evidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
  return {
    publicKeyOf: deps.publicKeyOf,
    raise: deps.raise,
    unitSale: (key) => q.sale.get(key),
    setUnitSale: (key, storeId, terminalId, seq, recordId, at) => {
      q.setSale.run(key, storeId, terminalId, seq, recordId, at);
    },
    markReturned: (key, recordId) => {
      q.returned.run(key, recordId ?? null);
    },
    conflictSeqs: (storeId, terminalId, low, high) =>
      q.conflicts.all(storeId, terminalId, low, high).map((r) => r.seq),
    storedRecord: (storeId, terminalId, seq) => stored.record(storeId, terminalId, seq),
    insert: (r) => {
      q.insert.run(
        r.detectedAt,
        r.at,
        r.kind,
        r.source,
        r.storeId,
        r.terminalId,
        r.seq,
        r.otherStoreId,
        r.otherTerminalId,
        r.code,
        r.product,
        r.message,
        r.evidence,
      );
    },
  };
}
