import pg from 'pg';
import { type FeedReader, type FeedRow, feedPage, feedPageSql } from '../../enforcement/feed-query.js';

/**
 * The enforcement feed's reader on PostgreSQL (`veriterm upstream alerts --db`, the HTTP feed with
 * `--db`): its own small pool whose sessions are read-only (`default_transaction_read_only`), so
 * nothing the HTTP side does can write to the upstream's database. Same filters as the SQLite
 * reader (feed-query.ts `feedPageSql`), values bound as parameters.
 */
export function postgresFeedReader(url: string): FeedReader {
  const pool = new pg.Pool({
    connectionString: url,
    max: 2,
    options: '-c default_transaction_read_only=on',
  });
  // An idle connection the server drops must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  let closed = false;
  return {
    async page(query) {
      const values: (string | number)[] = [];
      const { where, limit, limitParam } = feedPageSql(query, (value) => {
        values.push(value);
        return typeof value === 'number' ? `$${values.length}::bigint` : `$${values.length}::text`;
      });
      const { rows } = await pool.query<FeedRow & { id: string | number; seq: string | number }>(
        `SELECT * FROM enf_alerts WHERE ${where} ORDER BY id LIMIT ${limitParam}`,
        values,
      );
      return feedPage(
        rows.map((r) => ({ ...r, id: Number(r.id), seq: Number(r.seq) })),
        limit,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Whether the database has the feed's table (an upstream of this version ran on it once). */
export async function postgresHasFeed(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT to_regclass('enf_alerts') IS NOT NULL AS ok");
    return rows[0]?.ok === true;
  } finally {
    await client.end();
  }
}
