import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/require-role.js';
import { roleAllows } from '../auth/roles.js';
import type { HttpDeps } from '../http-deps.js';
import type { HealthView } from '../wire-types.js';

/**
 * GET /api/v1/health. Anyone allowed on the kiosk sees the overall level and each component's
 * level (enough for a kiosk to show "out of order"); reasons and details need cashier or manager
 * (DESIGN.md: health details need the role).
 */
export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/api/v1/health', { preHandler: requireRole('kiosk') }, async (request) => {
    deps.refreshHealth?.();
    const snapshot = deps.health.snapshot();
    const data: HealthView = roleAllows(request.principal!.role, 'cashier')
      ? snapshot
      : {
          level: snapshot.level,
          at: snapshot.at,
          items: snapshot.items.map((i) => ({ component: i.component, level: i.level })),
        };
    return { status: 'ok', data };
  });
}
