import { z } from 'zod';
import type { SqliteDatabase } from '../../terminal/db/open-database.js';
import { VeritermError } from '../../terminal/errors.js';
import type { Evidence } from './evidence.js';
import { FEED_KINDS, type FeedAlert } from './feed-alert.js';

/** Alerts one page may hold: each carries its evidence (a few KiB), so a page stays a few MiB. */
export const FEED_MAX_LIMIT = 500;
export const FEED_DEFAULT_LIMIT = 100;
/** Longest store, product or code filter (code keys stay well under it). */
const MAX_FILTER_CHARS = 512;

/** ISO date or date-time; normalised to UTC `toISOString` form, which sorts as `detected_at` does. */
const isoTime = z
  .string()
  .max(64)
  .regex(/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'expected an ISO date or date-time')
  .transform((text, ctx) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO date or date-time' });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  });

// Printable text without control characters: a filter is compared for equality, never interpreted.
const filterText = z
  .string()
  .min(1)
  .max(MAX_FILTER_CHARS)
  .regex(/^[^\p{Cc}]+$/u, 'expected text without control characters');

const count = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * A feed query as text (command-line flags or URL parameters). `since` inclusive and `until`
 * exclusive, on upstream's detection time; `store` matches either store of a clone; `after` is
 * the cursor (the last id of the previous page).
 */
export const feedQuerySchema = z.strictObject({
  since: isoTime.optional(),
  until: isoTime.optional(),
  kind: z.array(z.enum(FEED_KINDS)).min(1).max(FEED_KINDS.length).optional(),
  source: z.enum(['upstream', 'terminal']).optional(),
  store: filterText.optional(),
  product: filterText.optional(),
  code: filterText.optional(),
  after: count(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: count(1, FEED_MAX_LIMIT).optional(),
});
export type FeedQueryInput = z.input<typeof feedQuerySchema>;
export type FeedQuery = z.output<typeof feedQuerySchema>;

/** Parses a query; a bad field is a `feed_query_invalid` error naming the field, the value and what was expected. */
export function parseFeedQuery(input: unknown): FeedQuery {
  const parsed = feedQuerySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path[0] === undefined ? '(query)' : String(issue.path[0]);
    if (issue.code === 'unrecognized_keys')
      return `unknown filter ${issue.keys.map((k) => `'${k}'`).join(', ')}; expected one of ${Object.keys(feedQuerySchema.shape).join(', ')}`;
    const given = (input as Record<string, unknown> | null)?.[field];
    const shown = JSON.stringify(given)?.slice(0, 80) ?? 'nothing';
    return `${field}: ${issue.message}, got ${shown}`;
  });
  throw new VeritermError('feed_query_invalid', `Bad alert query: ${problems.join('; ')}`);
}

export interface FeedRow {
  id: number;
  detected_at: string;
  at: string;
  kind: string;
  source: 'upstream' | 'terminal';
  store_id: string;
  terminal_id: string;
  seq: number;
  other_store_id: string | null;
  other_terminal_id: string | null;
  code: string;
  product: string;
  message: string;
  evidence: string;
}

function toAlert(row: FeedRow): FeedAlert {
  const stores = [row.store_id];
  const terminals = [`${row.store_id}/${row.terminal_id}`];
  if (row.other_store_id !== null) {
    if (row.other_store_id !== row.store_id) stores.push(row.other_store_id);
    const other = `${row.other_store_id}/${row.other_terminal_id ?? ''}`;
    if (other !== terminals[0]) terminals.push(other);
  }
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    detectedAt: row.detected_at,
    at: row.at,
    storeId: row.store_id,
    terminalId: row.terminal_id,
    seq: row.seq,
    stores,
    terminals,
    codes: row.code ? [row.code] : [],
    products: row.product ? [row.product] : [],
    message: row.message,
    evidence: JSON.parse(row.evidence) as Evidence,
  };
}

/** The feed's queries, one per engine (SQLite: below; PostgreSQL: storage/postgres/pg-feed.ts). */
export interface FeedReader {
  /** One page of the feed in detection order, and the cursor of the next (null on the last page). */
  page(query: FeedQuery): Promise<{ alerts: FeedAlert[]; next: number | null }>;
  /** Releases the reader's connection (idempotent). */
  close(): Promise<void>;
}

/**
 * The WHERE clause and LIMIT of a page, every value bound through `bind` (which answers the
 * engine's placeholder), never spliced: both engines run the same filter.
 */
export function feedPageSql(
  query: FeedQuery,
  bind: (value: string | number) => string,
): { where: string; limit: number; limitParam: string } {
  const where: string[] = [`id > ${bind(query.after ?? 0)}`];
  if (query.since) where.push(`detected_at >= ${bind(query.since)}`);
  if (query.until) where.push(`detected_at < ${bind(query.until)}`);
  if (query.kind) where.push(`kind IN (${query.kind.map((k) => bind(k)).join(', ')})`);
  for (const field of ['source', 'product', 'code'] as const) {
    const value = query[field];
    if (value !== undefined) where.push(`${field} = ${bind(value)}`);
  }
  if (query.store) {
    const store = bind(query.store);
    where.push(`(store_id = ${store} OR other_store_id = ${store})`);
  }
  const limit = query.limit ?? FEED_DEFAULT_LIMIT;
  return { where: where.join(' AND '), limit, limitParam: bind(limit + 1) };
}

/** Rows of one more than the page's limit → the page and its `next` cursor. */
export function feedPage(
  rows: readonly FeedRow[],
  limit: number,
): { alerts: FeedAlert[]; next: number | null } {
  const more = rows.length > limit;
  const page = (more ? rows.slice(0, limit) : rows).map(toAlert);
  return { alerts: page, next: more ? (page.at(-1)?.id ?? null) : null };
}

/** One page of the feed in detection order, and the cursor of the next (null on the last page). */
export function queryAlerts(
  db: SqliteDatabase,
  query: FeedQuery,
): { alerts: FeedAlert[]; next: number | null } {
  const params: Record<string, string | number> = {};
  const { where, limit, limitParam } = feedPageSql(query, (value) => {
    const name = `p${Object.keys(params).length}`;
    params[name] = value;
    return `@${name}`;
  });
  const rows = db
    .prepare(`SELECT * FROM enf_alerts WHERE ${where} ORDER BY id LIMIT ${limitParam}`)
    .all(params) as FeedRow[];
  return feedPage(rows, limit);
}

/** The SQLite engine's reader, on a connection of its own (read-only for the HTTP feed). */
export function sqliteFeedReader(db: SqliteDatabase): FeedReader {
  return {
    page: async (query) => queryAlerts(db, query),
    close: async () => {
      if (db.open) db.close();
    },
  };
}
