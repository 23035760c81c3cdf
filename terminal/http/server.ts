import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { asStorageFault, isDiskFull } from '../db/storage-errors.js';
import type { VeritermError } from '../errors.js';
import type { Verifier } from '../verify/verifier.js';
import { sourceOf } from './auth/request-source.js';
import { requireRole } from './auth/require-role.js';
import { createErrorHandler, frameworkErrors, sendError } from './errors.js';
import type { HttpDeps } from './http-deps.js';
import { authRoutes, bearerOf } from './routes/auth-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { kioskRoutes } from './routes/kiosk-routes.js';
import { ConnectionScanLimit, TokenBucket } from './scan-limiter.js';
import type { WsClientMessage, WsMessage } from './wire-types.js';

export type { HttpDeps, HttpPlugin } from './http-deps.js';

/** SPA routes served with index.html (the app shell picks the page). */
const PAGES = ['/', '/checkout', '/manager', '/receiving', '/stock'];

/**
 * The terminal's HTTP server: JSON API under /api/v1, WebSocket push at /api/v1/ws, the kiosk-ui
 * pages. Not listening yet: call `app.listen`.
 */
export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const { http } = deps.config;
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: http.bodyLimitBytes,
    // One log line per scan request is noise at info level; errors are still logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // request.ip is the socket's peer unless a reverse proxy is configured (request-source.ts).
    trustProxy: http.trustProxy,
    frameworkErrors,
  });
  app.setErrorHandler(
    createErrorHandler(
      deps.storage ? { storageFile: deps.storage.file, onDiskFull: deps.storage.onDiskFull } : {},
    ),
  );
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    let token = bearerOf(header);
    // A header that is there but is not `Bearer <token>` is refused, never taken as anonymous.
    if (header !== undefined && token === undefined)
      return sendError(reply, 401, 'bad_token', 'Expected the Authorization header as "Bearer <token>"');
    if (!token && request.url.startsWith('/api/v1/ws')) {
      token = new URL(request.url, 'http://x').searchParams.get('token') ?? undefined;
    }
    const outcome = deps.auth.authenticate(token);
    if ('failure' in outcome) {
      // Signing in again must work with a stale token still in the page's storage.
      if (request.url.split('?')[0] === '/api/v1/auth/sign-in') return;
      return sendError(reply, 401, outcome.failure.code, outcome.failure.message);
    }
    request.principal = outcome.principal;
  });

  // All anonymous clients together (WebSocket scans and POST /api/v1/verify) share one bucket.
  const anonymousScans = new TokenBucket({
    perSecond: http.limits.anonymousScansPerSecond,
    burst: http.limits.anonymousScanBurst,
  });
  await app.register(websocket, { options: { maxPayload: 16_384 } });
  app.get(
    '/api/v1/ws',
    {
      websocket: true,
      preHandler: [requireRole('kiosk'), async (request, reply) => admitUpgrade(deps, request, reply)],
    },
    (socket, request) => {
      const principal = request.principal!;
      if (!deps.hub.add(socket, principal, sourceOf(request))) return;
      const limit = new ConnectionScanLimit(
        http.limits,
        principal.via === 'anonymous' ? anonymousScans : undefined,
      );
      const hello: WsMessage = {
        type: 'hello',
        data: { role: principal.role, serverTime: new Date().toISOString() },
      };
      socket.send(JSON.stringify(hello));
      // A client that does not read its replies: refusals are dropped past a small backlog, and
      // past a large one the connection is closed, so it cannot make the terminal hold its replies.
      const send = (m: WsMessage) => {
        const backlog = socket.bufferedAmount;
        if (backlog > MAX_REPLY_BACKLOG_BYTES) {
          socket.close(1008, 'replies not read');
          return;
        }
        if (m.type === 'error' && backlog > MAX_REFUSAL_BACKLOG_BYTES) return;
        socket.send(JSON.stringify(m));
      };
      socket.on('message', (raw: Buffer) => {
        if (socket.readyState !== socket.OPEN) return;
        const refused = limit.admit();
        if (refused) {
          if (limit.flooding) {
            socket.close(1008, 'scan rate limit exceeded');
            return;
          }
          const id = idOf(raw);
          send({
            type: 'error',
            ...(id === undefined ? {} : { replyTo: id }),
            error: {
              code: 'rate_limited',
              message:
                refused.scope === 'connection'
                  ? `Too many scans from this page; at most ${http.limits.scansPerSecond} a second (retry in ${refused.retryAfterMs} ms)`
                  : `Too many scans at this terminal right now; retry in ${refused.retryAfterMs} ms`,
            },
          });
          return;
        }
        handleClientMessage(deps, raw, send);
      });
    },
  );

  await kioskRoutes(app, deps, { anonymousScans });
  healthRoutes(app, deps);
  await authRoutes(app, deps);
  for (const plugin of deps.plugins ?? []) await plugin(app, deps);

  const dir = deps.staticDir;
  const built = dir !== undefined && existsSync(join(dir, 'index.html'));
  if (built) {
    // Vite puts every built file but index.html under assets/ with a content hash: cache for a year.
    await app.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/assets/',
      immutable: true,
      maxAge: 31_536_000_000,
    });
    // The pages: index.html, never cached, so a rebuilt UI shows at once; the app shell picks the page.
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, { root: dir, serve: false });
      const page = async (_request: FastifyRequest, reply: FastifyReply) =>
        reply.header('cache-control', 'no-cache').sendFile('index.html');
      for (const path of PAGES) {
        scope.get(path, page);
        if (path !== '/') scope.get(`${path}/*`, page);
      }
    });
  }

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (
      !path.startsWith('/api/') &&
      request.method === 'GET' &&
      PAGES.some((p) => path === p || path.startsWith(`${p}/`))
    ) {
      return reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>veriterm</title><p>The kiosk UI is not built. Run <code>npm run build</code> or <code>npm start</code>.</p>',
        );
    }
    return reply
      .code(404)
      .send({ status: 'error', error: { code: 'not_found', message: `No route ${request.method} ${path}` } });
  });
  app.addHook('onClose', async () => deps.hub.closeAll());
  return app;
}

/** Unread replies past which refusals are no longer sent (the client is flooding). */
const MAX_REFUSAL_BACKLOG_BYTES = 65_536;
/** Unread replies past which the connection is closed (the client is stuck or hostile). */
const MAX_REPLY_BACKLOG_BYTES = 4 * 1_048_576;

/**
 * Before the upgrade: a browser page from another origin may not open the socket (cross-site
 * WebSocket hijacking: browsers send Origin on every WebSocket handshake, RFC 6455 §4.1), and the
 * connection limits must have room. No Origin (a non-browser client) is left to the role check.
 */
async function admitUpgrade(deps: HttpDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const origin = request.headers.origin;
  if (origin !== undefined && !originAllowed(origin, request.headers.host, deps.config.http.allowedOrigins)) {
    return sendError(
      reply,
      403,
      'origin_refused',
      `WebSocket from origin ${JSON.stringify(origin.slice(0, 200))} refused; only the terminal's own pages (or http.allowedOrigins) may connect`,
    );
  }
  const admission = deps.hub.admit(sourceOf(request));
  if (!admission.ok) return sendError(reply, 503, admission.code, admission.message);
}

/** Same origin: the Origin's host:port is the Host the page connected to; or a configured origin. */
export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (host !== undefined && url.host === host.toLowerCase()) return true;
  return allowed.some((a) => {
    try {
      return new URL(a).origin === url.origin;
    } catch {
      return false;
    }
  });
}

/** The `id` of a client message, for a reply, without trusting anything else in it. */
function idOf(raw: Buffer): number | undefined {
  try {
    const id = (JSON.parse(raw.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A page's own scan over the WebSocket (kiosk role suffices): verified, logged, answered to that
 * page only. Never throws into the socket: a full disk is answered `disk_full`, any other fault
 * `internal` (and logged).
 */
function handleClientMessage(deps: HttpDeps, raw: Buffer, reply: (m: WsMessage) => void): void {
  let message: Partial<WsClientMessage>;
  try {
    message = JSON.parse(raw.toString('utf8')) as Partial<WsClientMessage>;
  } catch {
    reply({ type: 'error', error: { code: 'bad_json', message: 'WebSocket messages are JSON' } });
    return;
  }
  const id = typeof message.id === 'number' ? message.id : undefined;
  const replyTo = id === undefined ? {} : { replyTo: id };
  if (message.type !== 'scan' || typeof message.data !== 'string' || message.data.length > 4096) {
    const error = {
      code: 'bad_request',
      message: 'Expected {"type":"scan","id":<number>,"data":"<raw scan>"}',
    };
    reply({ type: 'error', ...replyTo, error });
    return;
  }
  const receivedAt = Date.now();
  const source = message.source === 'manual' ? 'manual' : 'wedge';
  let data: ReturnType<Verifier['verify']>;
  try {
    data = deps.verifier.verify(message.data, { source });
  } catch (error) {
    if (isDiskFull(error)) {
      const fault = asStorageFault(error, deps.storage?.file ?? 'the query log') as VeritermError;
      deps.storage?.onDiskFull(fault);
      reply({ type: 'error', ...replyTo, error: { code: 'disk_full', message: fault.message } });
    } else {
      deps.logger.error({ err: error }, 'WebSocket scan failed');
      reply({
        type: 'error',
        ...replyTo,
        error: { code: 'internal', message: 'Internal error; see the terminal log' },
      });
    }
    return;
  }
  reply({ type: 'verdict', lane: 'kiosk', data, scan: { deviceId: 'browser', receivedAt }, ...replyTo });
}
