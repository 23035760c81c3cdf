import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqliteDatabase } from '../../terminal/db/open-database.js';
import { VeritermError } from '../../terminal/errors.js';
import type { Logger } from '../../terminal/logger.js';
import { csvHeader, csvRow } from './feed-csv.js';
import { FEED_MAX_LIMIT, type FeedReader, parseFeedQuery, sqliteFeedReader } from './feed-query.js';

/** Shortest accepted bearer token: 128 bits as hex (or 24+ bytes as base64). */
export const MIN_TOKEN_CHARS = 32;
/** Longest request line target: filters are short; anything longer is refused before parsing. */
const MAX_URL_CHARS = 4096;
/** Failed authentications one remote address may make per window before it gets 429. */
const AUTH_FAILURES = { max: 20, windowMs: 60_000, trackedAddresses: 10_000 };

export interface FeedServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  port: number;
  /** The bearer token clients must present (`Authorization: Bearer …`). */
  token: string;
  /** Open connections at once. @default 64 */
  maxConnections?: number;
}

export interface FeedServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The token in a file (first line, trimmed). Refuses a short token and a missing file with a
 * `feed_token` error naming the file (never the token).
 */
export function readFeedToken(file: string, logger?: Logger): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VeritermError('feed_token', `Cannot read the feed token file ${file}`, { cause: error });
  }
  const token = text.split('\n')[0]?.trim() ?? '';
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token))
    throw new VeritermError(
      'feed_token',
      `The feed token in ${file} must be one line of at least ${MIN_TOKEN_CHARS} characters without spaces (e.g. openssl rand -hex 32)`,
    );
  if ((statSync(file).mode & 0o077) !== 0)
    logger?.warn({ file }, 'feed token file is readable by other users: chmod 600 it');
  return token;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** One response: the handler computes it, one place writes it. */
interface Reply {
  status: number;
  body: string;
  type?: string;
  headers?: Record<string, string>;
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'content-type': reply.type ?? 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(reply.body);
}

const failure = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply => ({
  status,
  body: JSON.stringify({ status: 'error', error: { code, message } }),
  headers,
});

/** URL parameters as the query schema takes them: `kind` may repeat or be comma-separated; others once. */
function queryInput(params: URLSearchParams): {
  input: Record<string, unknown>;
  format: string;
  repeated?: string;
} {
  const input: Record<string, unknown> = {};
  let format = 'json';
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (name === 'kind') input.kind = values.flatMap((v) => v.split(',')).filter(Boolean);
    else if (values.length > 1) return { input, format, repeated: name };
    else if (name === 'format') format = values[0]!;
    else input[name] = values[0];
  }
  return { input, format };
}

/**
 * The enforcement feed over HTTP, read-only: `GET /v1/alerts?since=&until=&kind=&source=&store=&
 * product=&code=&after=&limit=&format=json|csv` and `GET /v1/alerts/{id}`. Every request needs the
 * bearer token (compared in constant time); pages are bounded; failed authentications are limited
 * per address. Give it a read-only connection to the upstream database.
 */
export async function startFeedServer(
  deps: ({ db: SqliteDatabase } | { reader: FeedReader }) & { logger: Logger },
  options: FeedServerOptions,
): Promise<FeedServer> {
  // Either engine's reader (feed-query.ts, storage/postgres/pg-feed.ts); a bare SQLite connection is wrapped.
  const reader = 'reader' in deps ? deps.reader : sqliteFeedReader(deps.db);
  const log = deps.logger.child({ module: 'enforcement-feed' });
  if (options.token.length < MIN_TOKEN_CHARS)
    throw new VeritermError('feed_token', `The feed token must have at least ${MIN_TOKEN_CHARS} characters`);
  const expected = digest(options.token);
  const failures = new Map<string, { count: number; sinceMs: number }>();

  const throttled = (address: string): boolean => {
    const entry = failures.get(address);
    if (!entry) return false;
    if (Date.now() - entry.sinceMs > AUTH_FAILURES.windowMs) {
      failures.delete(address);
      return false;
    }
    return entry.count >= AUTH_FAILURES.max;
  };
  const failed = (address: string): void => {
    const entry = failures.get(address);
    if (entry) entry.count++;
    else {
      // Bounded: the oldest address is forgotten first (Map keeps insertion order).
      if (failures.size >= AUTH_FAILURES.trackedAddresses) failures.delete(failures.keys().next().value!);
      failures.set(address, { count: 1, sinceMs: Date.now() });
    }
  };

  const authorised = (req: IncomingMessage): 'ok' | 'missing' | 'wrong' => {
    const header = req.headers.authorization;
    if (!header) return 'missing';
    const match = /^Bearer ([^\s]{1,1024})$/i.exec(header);
    if (!match) return 'wrong';
    // Hashing both sides gives equal lengths, so timingSafeEqual compares without leaking the length.
    return timingSafeEqual(digest(match[1]!), expected) ? 'ok' : 'wrong';
  };

  const answer = async (req: IncomingMessage): Promise<Reply> => {
    const address = req.socket.remoteAddress ?? 'unknown';
    if ((req.url ?? '').length > MAX_URL_CHARS)
      return failure(414, 'uri_too_long', `Request target over ${MAX_URL_CHARS} characters`);
    if (throttled(address))
      return failure(429, 'too_many_failures', 'Too many failed authentications; try again later', {
        'retry-after': String(AUTH_FAILURES.windowMs / 1000),
      });
    const auth = authorised(req);
    if (auth !== 'ok') {
      failed(address);
      log.warn({ address, auth }, 'feed request refused: bad or missing bearer token');
      return failure(
        401,
        auth === 'missing' ? 'token_required' : 'invalid_token',
        'A valid bearer token is required (Authorization: Bearer …)',
        {
          'www-authenticate': `Bearer realm="veriterm-enforcement-feed"${auth === 'wrong' ? ', error="invalid_token"' : ''}`,
        },
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return failure(405, 'method_not_allowed', 'The feed is read-only: GET only', {
        allow: 'GET, HEAD',
      });
    const url = new URL(req.url ?? '/', 'http://feed.invalid');
    const one = /^\/v1\/alerts\/(\d{1,16})$/.exec(url.pathname);
    if (url.pathname !== '/v1/alerts' && !one)
      return failure(404, 'not_found', 'Expected /v1/alerts or /v1/alerts/{id}');
    const { input, format, repeated } = queryInput(url.searchParams);
    if (repeated) return failure(400, 'bad_query', `Filter '${repeated}' given more than once`);
    if (format !== 'json' && format !== 'csv')
      return failure(
        400,
        'bad_query',
        `format: expected json or csv, got ${JSON.stringify(format).slice(0, 40)}`,
      );
    try {
      if (one) {
        const id = Number(one[1]);
        const page = await reader.page({ after: id - 1, limit: 1 });
        const alert = page.alerts[0];
        if (!alert || alert.id !== id) return failure(404, 'not_found', `No alert ${id}`);
        return { status: 200, body: JSON.stringify({ status: 'ok', data: alert }) };
      }
      const page = await reader.page(parseFeedQuery(input));
      if (format === 'csv')
        return {
          status: 200,
          body: csvHeader() + page.alerts.map(csvRow).join(''),
          type: 'text/csv; charset=utf-8',
          headers: page.next !== null ? { 'x-next-after': String(page.next) } : {},
        };
      return { status: 200, body: JSON.stringify({ status: 'ok', data: page }) };
    } catch (e) {
      if (e instanceof VeritermError && e.code === 'feed_query_invalid')
        return failure(400, 'bad_query', `${e.message} (limit at most ${FEED_MAX_LIMIT})`);
      log.error({ err: e }, 'feed query failed');
      return failure(500, 'internal', 'The feed could not be read');
    }
  };

  const server = createServer(
    { requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 8192, keepAliveTimeout: 5_000 },
    (req, res) => {
      answer(req).then(
        (reply) => send(res, reply),
        (error: unknown) => {
          log.error({ err: error }, 'feed request failed');
          send(res, failure(500, 'internal', 'The feed could not be read'));
        },
      );
    },
  );
  server.maxConnections = options.maxConnections ?? 64;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url }, 'enforcement feed listening');
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
