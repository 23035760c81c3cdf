import type { FastifyInstance } from 'fastify';
import type { ManagerReceiving } from '../../receiving/overview-types.js';
import { requireRole } from '../auth/require-role.js';

/**
 * GET /api/v1/manager/receiving (manager): stock counts, open deliveries and discrepancies
 * (terminal/receiving/receiving-overview.ts, built by the composition root). Read on its own, less
 * often than the overview: the stock counts read every received unit.
 */
export function managerReceivingRoute(
  app: FastifyInstance,
  deps: { receiving: { read(): ManagerReceiving } },
): void {
  app.get('/api/v1/manager/receiving', { preHandler: requireRole('manager') }, async () => {
    const data: ManagerReceiving = deps.receiving.read();
    return { status: 'ok', data };
  });
}
