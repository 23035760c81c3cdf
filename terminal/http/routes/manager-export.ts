import type { FastifyInstance } from 'fastify';
import { isExportDay, ledgerDayCsv } from '../../ledger/export.js';
import type { Ledger } from '../../ledger/ledger.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';

/** GET /api/v1/manager/ledger.csv?day=YYYY-MM-DD (manager): a day's ledger as a CSV download. */
export function managerExportRoute(app: FastifyInstance, deps: { ledger: Ledger }): void {
  app.get<{ Querystring: { day?: string } }>(
    '/api/v1/manager/ledger.csv',
    { preHandler: requireRole('manager') },
    async (request, reply) => {
      const day = request.query.day;
      if (!isExportDay(day))
        return sendError(
          reply,
          400,
          'bad_request',
          `day: expected a calendar day as YYYY-MM-DD (UTC), got ${JSON.stringify(day ?? '')}`,
        );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ledger-${day}.csv"`)
        .send(ledgerDayCsv(deps.ledger, day));
    },
  );
}
