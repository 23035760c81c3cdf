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
import type { Config } from '../config/schema.js';
import type { HealthModel } from '../health/health-model.js';
import type { KioskReports } from '../lanes/kiosk-reports.js';
import type { Logger } from '../logger.js';
import type { Verifier } from '../verify/verifier.js';
import type { AuthService } from './auth/auth-service.js';
import { requireRole } from './auth/require-role.js';
import type { Principal } from './auth/roles.js';
import { errorHandler } from './errors.js';
import { authRoutes, bearerOf } from './routes/auth-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { kioskRoutes } from './routes/kiosk-routes.js';
import type { DemoSample, WsClientMessage, WsMessage } from './wire-types.js';
import type { WsHub } from './ws-hub.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; undefined when unauthenticated and anonymous access is off or the token is bad. */
    principal: Principal | undefined;
  }
}

export interface HttpDeps {
  config: Config;
  logger: Logger;
  verifier: Verifier;
  reports: KioskReports;
  health: HealthModel;
  auth: AuthService;
  hub: WsHub;
  demoSamples: DemoSample[];
  /** Built kiosk-ui (`kiosk-ui/dist`); when absent the page says how to build it. */
  staticDir?: string;
  /** Called before answering /api/v1/health, to refresh pull-style items (registry age, process). */
  refreshHealth?: () => void;
  /** Routes of other areas (checkout, manager), registered after the kiosk's, sharing auth and errors. */
  plugins?: HttpPlugin[];
}

/** How another area adds routes: `(app, deps) => { app.post('/api/v1/sales', { preHandler: requireRole('cashier') }, …) }`. */
export type HttpPlugin = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

/** SPA routes served with index.html (the app shell picks the page). */
const PAGES = ['/', '/checkout', '/manager'];

/**
 * The terminal's HTTP server: JSON API under /api/v1, WebSocket push at /api/v1/ws, the kiosk-ui
 * pages. Not listening yet: call `app.listen`.
 */
export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: deps.config.http.bodyLimitBytes,
    // One log line per scan request is noise at info level; errors are still logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    let token = bearerOf(request.headers.authorization);
    if (!token && request.url.startsWith('/api/v1/ws')) {
      token = new URL(request.url, 'http://x').searchParams.get('token') ?? undefined;
    }
    request.principal = deps.auth.resolve(token);
  });

  await app.register(websocket, { options: { maxPayload: 16_384 } });
  app.get('/api/v1/ws', { websocket: true, preHandler: requireRole('kiosk') }, (socket, request) => {
    const principal = request.principal!;
    deps.hub.add(socket, principal);
    const hello: WsMessage = {
      type: 'hello',
      data: { role: principal.role, serverTime: new Date().toISOString() },
    };
    socket.send(JSON.stringify(hello));
    socket.on('message', (raw: Buffer) =>
      handleClientMessage(deps, raw, (m) => socket.send(JSON.stringify(m))),
    );
  });

  await kioskRoutes(app, deps);
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

/** A page's own scan over the WebSocket (kiosk role suffices): verified, logged, answered to that page only. */
function handleClientMessage(deps: HttpDeps, raw: Buffer, reply: (m: WsMessage) => void): void {
  let message: Partial<WsClientMessage>;
  try {
    message = JSON.parse(raw.toString('utf8')) as Partial<WsClientMessage>;
  } catch {
    reply({ type: 'error', error: { code: 'bad_json', message: 'WebSocket messages are JSON' } });
    return;
  }
  const id = typeof message.id === 'number' ? message.id : undefined;
  if (message.type !== 'scan' || typeof message.data !== 'string' || message.data.length > 4096) {
    const error = {
      code: 'bad_request',
      message: 'Expected {"type":"scan","id":<number>,"data":"<raw scan>"}',
    };
    reply({ type: 'error', ...(id === undefined ? {} : { replyTo: id }), error });
    return;
  }
  const receivedAt = Date.now();
  const source = message.source === 'manual' ? 'manual' : 'wedge';
  const data = deps.verifier.verify(message.data, { source });
  reply({
    type: 'verdict',
    lane: 'kiosk',
    data,
    scan: { deviceId: 'browser', receivedAt },
    ...(id === undefined ? {} : { replyTo: id }),
  });
}
