import type { SqliteDatabase } from '../db/open-database.js';
import { GENESIS_HASH } from './canonical.js';
import type { PendingRun } from './types.js';

export type { PendingRun };

/** Reads the next run of pending records after `afterSeq`: at most `limit` records and `maxBytes`
 * bytes (always at least one record), stopping before any hole in the outbox; undefined when none. */
export type PendingRunReader = (afterSeq: number, limit: number, maxBytes: number) => PendingRun | undefined;

/**
 * Reads the ledger's outbox (schema.ts: `ledger_outbox` joined to `ledger_records`) and lets SQLite
 * write the records as JSON columns (types.ts `PendingRun`: the sync record batch version 2) in one
 * UTF-8 blob, splicing in each stored canonical payload text as is. The drain never parses a
 * payload into objects, serialises it back, nor encodes a JS string to UTF-8. Columns instead of
 * one object per record: the hashes, sequence, store and terminal of every record are left out
 * (upstream derives them), so SQLite concatenates half the bytes, in five aggregates rather than
 * twenty concatenations per record. upstream recomputes every hash from the parsed values, so
 * nothing here is trusted. Each run is one read-only SELECT (a consistent WAL snapshot) plus the
 * first record's prevHash.
 */
export function outboxRunReader(db: SqliteDatabase): PendingRunReader {
  // One aggregate over a LIMITed scan: window functions (a running byte total) cost 3x more here
  // than the whole read, so the byte cap is met by sizing the LIMIT from the last run instead.
  // Every group_concat sees the rows in the subquery's order, so the columns line up.
  const q = db.prepare(
    `SELECT COUNT(*) AS count, MIN(seq) AS firstSeq, MAX(seq) AS lastSeq,
       CAST('"ids":[' || group_concat(json_quote(id)) || '],"types":[' || group_concat(json_quote(type)) ||
         '],"ats":[' || group_concat(json_quote(at)) || '],"payloads":[' || group_concat(payload) ||
         '],"sigs":[' || group_concat(json_quote(signature)) || ']' AS BLOB) AS columns
     FROM (SELECT r.seq, r.id, r.type, r.at, r.payload, r.signature
           FROM ledger_outbox o JOIN ledger_records r ON r.seq = o.seq
           WHERE o.seq > ? ORDER BY o.seq LIMIT ?)`,
  );
  const prevHash = db.prepare('SELECT prev_hash FROM ledger_records WHERE seq = ?').pluck();
  const seqs = db.prepare('SELECT seq FROM ledger_outbox WHERE seq > ? ORDER BY seq LIMIT ?').pluck();
  let bytesPerRecord = 0;
  return (after, limit, maxBytes) => {
    let n = bytesPerRecord > 0 ? Math.max(1, Math.min(limit, Math.floor(maxBytes / bytesPerRecord))) : limit;
    for (;;) {
      const run = q.get(after, n) as Omit<PendingRun, 'prevHash'>;
      if (run.count === 0) return undefined;
      bytesPerRecord = Math.ceil(run.columns.length / run.count);
      if (run.lastSeq - run.firstSeq + 1 !== run.count) {
        // A hole in the outbox (never expected): send only the records before it.
        const list = seqs.all(after, n) as number[];
        n = list.findIndex((seq, i) => seq !== list[0]! + i);
        continue;
      }
      if (run.count === 1 || run.columns.length <= maxBytes) {
        return { ...run, prevHash: (prevHash.get(run.firstSeq) as string | undefined) ?? GENESIS_HASH };
      }
      const fit = Math.floor((run.count * maxBytes) / run.columns.length);
      n = Math.max(1, fit < run.count ? fit : run.count - 1);
    }
  };
}
