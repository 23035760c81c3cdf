import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../terminal/config/schema.js';
import { HealthModel } from '../../terminal/health/health-model.js';
import { AuthService } from '../../terminal/http/auth/auth-service.js';
import { stockRoutes } from '../../terminal/http/routes/stock-routes.js';
import { createHttpServer } from '../../terminal/http/server.js';
import { WsHub } from '../../terminal/http/ws-hub.js';
import { KioskReports } from '../../terminal/lanes/kiosk-reports.js';
import { silentLogger } from '../../terminal/logger.js';
import { StockReads } from '../../terminal/stock/stock-reads.js';
import { QueryLog } from '../../terminal/verify/query-log.js';
import { call } from '../integration/checkout/http-fixture.js';
import { cn20, noteOf, signNote } from './receiving-fixture.js';
import type { StockRig } from './stock-fixture.js';

export interface StockApi {
  app: FastifyInstance;
  url: string;
  reads: StockReads;
  /** The bearer token of each role. */
  tokens: Record<'kiosk' | 'cashier' | 'manager', string>;
  /** Callers by role (undefined: anonymous), with the role's bearer token. */
  as(role: 'kiosk' | 'cashier' | 'manager' | undefined): {
    get(path: string): ReturnType<typeof call>;
    post(path: string, body?: unknown): ReturnType<typeof call>;
  };
  close(): Promise<void>;
}

/**
 * The stock API over the real HTTP server on `rig`'s terminal.db, with six units received on
 * delivery D-1 (cn20 0–5), counts and reports from the reads thread's own connection, and one
 * bearer token per role. `withLedger` adds the records route (`stockRoutes(…, ledger)`).
 */
export async function startStockApi(
  rig: StockRig,
  options: { withLedger?: boolean } = {},
): Promise<StockApi> {
  const units = Array.from({ length: 6 }, (_, i) => cn20(i));
  const imported = rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey));
  if (!imported.ok) throw new Error(`stock API fixture: note D-1 refused: ${JSON.stringify(imported)}`);
  const session = rig.session('D-1');
  for (const u of units) session.scan(u);
  session.close({ outcome: 'complete' });
  const reads = new StockReads({ store: rig.stock, stocktakes: rig.stocktakes }, rig.file);
  const tokens = {
    kiosk: randomBytes(32).toString('base64url'),
    cashier: randomBytes(32).toString('base64url'),
    manager: randomBytes(32).toString('base64url'),
  };
  const config = configSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    auth: {
      tokens: (['kiosk', 'cashier', 'manager'] as const).map((role) => ({
        name: `${role}-token`,
        role,
        sha256: createHash('sha256').update(tokens[role]).digest('hex'),
      })),
    },
  });
  const services = { store: rig.stock, stocktakes: rig.stocktakes, shipments: rig.shipments, reads };
  const app = await createHttpServer({
    config,
    logger: silentLogger(),
    verifier: {} as never,
    reports: new KioskReports({ queryLog: new QueryLog(rig.db), alerts: rig.ledger, storeId: 's1' }),
    health: new HealthModel(),
    auth: new AuthService(config.auth),
    hub: new WsHub(),
    demoSamples: [],
    plugins: [options.withLedger ? stockRoutes(services, rig.ledger) : stockRoutes(services)],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url,
    reads,
    tokens,
    as: (role) => ({
      get: (path) => call(url, 'GET', path, undefined, role && tokens[role]),
      post: (path, body = {}) => call(url, 'POST', path, body, role && tokens[role]),
    }),
    async close() {
      await app.close();
      await reads.close();
    },
  };
}
