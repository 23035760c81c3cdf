import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import type { VeritermError } from '../errors.js';
import type { HealthModel } from '../health/health-model.js';
import type { KioskReports } from '../lanes/kiosk-reports.js';
import type { Logger } from '../logger.js';
import type { Verifier } from '../verify/verifier.js';
import type { AuthService } from './auth/auth-service.js';
import type { Principal } from './auth/roles.js';
import type { DemoSample } from './wire-types.js';
import type { WsHub } from './ws-hub.js';

// What the HTTP server and its route files share. Kept apart from server.ts so the route files
// (which server.ts registers) do not import server.ts back: no import cycle, type imports included.

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
  /** Where a full disk is reported: the database it names and the storage health item's latch. */
  storage?: { file: string; onDiskFull(fault: VeritermError): void };
}

/** How another area adds routes: `(app, deps) => { app.post('/api/v1/sales', { preHandler: requireRole('cashier') }, …) }`. */
export type HttpPlugin = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;
