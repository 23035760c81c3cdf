import type { SimulatedScanner } from '../../drivers/scanner/simulated-scanner.js';
import { requireRole } from '../http/auth/require-role.js';
import { sendError } from '../http/errors.js';
import type { HttpPlugin } from '../http/http-deps.js';

/**
 * Demo only: POST /api/v1/demo/scan { data } hands the data to the simulated scanner, so a click on
 * a sample code travels the same path as a physical read (scanner → kiosk lane → WebSocket).
 */
export function demoRoutes(scanner: SimulatedScanner): HttpPlugin {
  return (app) => {
    app.post('/api/v1/demo/scan', { preHandler: requireRole('kiosk') }, async (request, reply) => {
      const data = (request.body as { data?: unknown } | undefined)?.data;
      if (typeof data !== 'string' || data.length === 0 || data.length > 4096) {
        return sendError(reply, 400, 'bad_request', 'Expected {"data": "<raw scan>"} (1–4096 characters)');
      }
      const delivered = scanner.inject(data);
      return { status: 'ok', data: { delivered } };
    });
  };
}
