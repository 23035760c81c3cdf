import { createHash, randomBytes } from 'node:crypto';
import { configSchema } from '../../../terminal/config/schema.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { AuthService } from '../../../terminal/http/auth/auth-service.js';
import { hashPin } from '../../../terminal/http/auth/pin-hash.js';
import { returnsRoutes } from '../../../terminal/http/routes/returns.js';
import { salesRoutes } from '../../../terminal/http/routes/sales.js';
import { createHttpServer } from '../../../terminal/http/server.js';
import { WsHub } from '../../../terminal/http/ws-hub.js';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import { KioskReports } from '../../../terminal/lanes/kiosk-reports.js';
import { silentLogger } from '../../../terminal/logger.js';
import { QueryLog } from '../../../terminal/verify/query-log.js';
import { openTerminal, type TerminalOptions } from './checkout-fixture.js';

export const PINS = { cashier: '1234', manager: '9876' } as const;

/**
 * The real HTTP server (terminal/http) with the checkout plugins, on a loopback port, over the
 * checkout fixture's terminal. Static tokens for each role; PIN users `c1` (cashier) and `m1` (manager).
 */
export async function startCheckoutServer(options: TerminalOptions & { staticDir?: string }) {
  const t = openTerminal(options);
  const tokens = { kiosk: token(), cashier: token(), manager: token() };
  // Cheap scrypt parameters: the tests sign in often; production hashes use the defaults.
  const cheap = { N: 1024, r: 8, p: 1 };
  const config = configSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    auth: {
      users: [
        { id: 'c1', role: 'cashier', pinHash: await hashPin(PINS.cashier, cheap) },
        { id: 'm1', role: 'manager', pinHash: await hashPin(PINS.manager, cheap) },
      ],
      tokens: (['kiosk', 'cashier', 'manager'] as const).map((role) => ({
        name: `${role}-token`,
        role,
        sha256: createHash('sha256').update(tokens[role]).digest('hex'),
      })),
    },
  });
  const logger = silentLogger();
  const auth = new AuthService(config.auth);
  const app = await createHttpServer({
    config,
    logger,
    verifier: t.verifier,
    reports: new KioskReports({ queryLog: new QueryLog(t.db), alerts: t.ledger, storeId: t.ledger.storeId }),
    health: new HealthModel(),
    auth,
    hub: new WsHub(),
    demoSamples: [],
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
    plugins: [
      salesRoutes({ checkout: t.checkout, sales: new SaleBatcher(t.checkout) }),
      returnsRoutes({ returns: t.returns }),
    ],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    t,
    app,
    url,
    tokens,
    async close() {
      await app.close();
      t.close();
    },
  };
}

function token(): string {
  return randomBytes(32).toString('base64url');
}

/** fetch with JSON in and out. */
export async function call(url: string, method: string, path: string, body?: unknown, bearer?: string) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON bodies
  return { status: response.status, body: (await response.json()) as any };
}
