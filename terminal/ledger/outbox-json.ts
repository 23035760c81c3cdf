import type { SqliteDatabase } from '../db/open-database.js';

import type { PendingRun } from './types.js';

export type { PendingRun };

/** Reads the next run of pending records after `afterSeq`: at most `limit` records and `maxBytes`
 * bytes (always at least one record), stopping before any hole in the outbox; undefined when none. */
export type PendingRunReader = (afterSeq: number, limit: number, maxBytes: number) => PendingRun | undefined;

/**
 * Reads the ledger's outbox (schema.ts: `ledger_outbox` joined to `ledger_records`) and lets SQLite write the records' JSON as one UTF-8 blob, splicing in each
 * stored canonical payload text as is. The drain never parses a payload into objects, serialises
 * it back, nor encodes a JS string to UTF-8 (together ~10 µs per record on the bench VM). The text
 * parses to the same records as `Ledger.pending()` returns; upstream recomputes every hash from
 * the parsed values, so nothing here is trusted. Each run is one read-only SELECT (a consistent
 * WAL snapshot).
 */
export function outboxRunReader(db: SqliteDatabase): PendingRunReader {
  // One aggregate over a LIMITed scan: window functions (a running byte total) cost 3x more here
  // than the whole read, so the byte cap is met by sizing the LIMIT from the last run instead.
  const q = db.prepare(
    `SELECT COUNT(*) AS count, MIN(seq) AS firstSeq, MAX(seq) AS lastSeq,
       CAST(group_concat(
         '{"id":' || json_quote(id) || ',"seq":' || seq || ',"type":' || json_quote(type) ||
         ',"at":' || json_quote(at) || ',"storeId":' || json_quote(store_id) ||
         ',"terminalId":' || json_quote(terminal_id) || ',"payload":' || payload ||
         ',"prevHash":' || json_quote(prev_hash) || ',"hash":' || json_quote(hash) ||
         ',"signature":' || json_quote(signature) || '}', ',') AS BLOB) AS json
     FROM (SELECT r.* FROM ledger_outbox o JOIN ledger_records r ON r.seq = o.seq
           WHERE o.seq > ? ORDER BY o.seq LIMIT ?)`,
  );
  const seqs = db.prepare('SELECT seq FROM ledger_outbox WHERE seq > ? ORDER BY seq LIMIT ?').pluck();
  let bytesPerRecord = 0;
  return (after, limit, maxBytes) => {
    let n = bytesPerRecord > 0 ? Math.max(1, Math.min(limit, Math.floor(maxBytes / bytesPerRecord))) : limit;
    for (;;) {
      const run = q.get(after, n) as PendingRun;
      if (run.count === 0) return undefined;
      bytesPerRecord = Math.ceil((run.json.length + 1) / run.count);
      if (run.lastSeq - run.firstSeq + 1 !== run.count) {
        // A hole in the outbox (never expected): send only the records before it.
        const list = seqs.all(after, n) as number[];
        n = list.findIndex((seq, i) => seq !== list[0]! + i);
        continue;
      }
      if (run.count === 1 || run.json.length + 1 <= maxBytes) return run;
      const fit = Math.floor((run.count * maxBytes) / (run.json.length + 1));
      n = Math.max(1, fit < run.count ? fit : run.count - 1);
    }
  };
}
