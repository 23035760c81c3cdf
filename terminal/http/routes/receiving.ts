import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { VeritermError } from '../../errors.js';
import type { ReceivingServices } from '../../lanes/receiving-services.js';
import type { ReceivingDemoLabel } from '../../lanes/receiving-wire.js';
import { PUT_ASIDE_REASONS } from '../../receiving/checkin-service.js';
import { NOTE_LIMITS } from '../../receiving/note-format.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';
import type { HttpPlugin } from '../http-deps.js';
import { describeIssues } from './kiosk-routes.js';

/** A scan as the page sends it: what a note may list (512 characters), GS as U+001D. */
const data = z.string().min(1).max(NOTE_LIMITS.maxCodeChars);
const scanBody = z.strictObject({ data });
const putAsideBody = z.strictObject({ data, reason: z.enum(PUT_ASIDE_REASONS) });
const closeBody = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('complete') }),
  z.strictObject({ outcome: z.literal('partial'), reason: z.string().trim().min(1).max(500) }),
]);
/** A delivery id as a note may carry it (terminal/receiving/note-format.ts). */
const deliveryIdParam = z.strictObject({
  deliveryId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'expected a delivery id (1–64 of A-Z a-z 0-9 . _ : -)'),
});

/** Fault codes of the receiving desk → HTTP status. */
const STATUS: Record<string, number> = {
  delivery_unknown: 404,
  delivery_closed: 409,
  delivery_incomplete: 409,
  too_many_foreign: 409,
  close_reason_missing: 400,
};

type DeliveryRequest = { Params: { deliveryId: string } };

/**
 * Receiving API for the clerk's page (cashier role and above; kiosk and anonymous callers are
 * refused). Every write is validated before it touches a delivery, counted against one bucket for
 * all clients (429 `rate_limited` with Retry-After past it), and answered once durable:
 * - GET  /api/v1/receiving/deliveries → open deliveries with counts (then the latest closed ones);
 * - GET  /api/v1/receiving/deliveries/:id → the delivery: counts, exception lines (its session);
 * - POST /api/v1/receiving/deliveries/:id/scan { data } → { answer, delivery };
 * - POST …/open-container { data }, …/put-aside { data, reason } → { answer, delivery };
 * - POST …/close { outcome: 'complete' } | { outcome: 'partial', reason } → receipt id + delivery;
 * - GET  /api/v1/receiving/demo-labels → the demo delivery's labels (empty outside the demo).
 */
export function receivingRoutes(
  services: ReceivingServices & { demoLabels?: ReceivingDemoLabel[] },
): HttpPlugin {
  return (app: FastifyInstance) => {
    const clerk = { preHandler: requireRole('cashier') };
    const { desk, writes } = services;

    app.get('/api/v1/receiving/deliveries', clerk, async () => ({
      status: 'ok',
      data: { deliveries: desk.deliveries() },
    }));

    app.get('/api/v1/receiving/demo-labels', clerk, async () => ({
      status: 'ok',
      data: { labels: services.demoLabels ?? [] },
    }));

    app.get<DeliveryRequest>('/api/v1/receiving/deliveries/:deliveryId', clerk, async (request, reply) => {
      const id = deliveryIdOf(request.params, reply);
      if (id === undefined) return reply;
      return answer(reply, () => desk.view(id));
    });

    const write = <B>(
      path: string,
      schema: z.ZodType<B>,
      expected: string,
      run: (deliveryId: string, body: B) => unknown,
    ) => {
      app.post<DeliveryRequest>(
        `/api/v1/receiving/deliveries/:deliveryId/${path}`,
        clerk,
        async (request, reply) => {
          const id = deliveryIdOf(request.params, reply);
          if (id === undefined) return reply;
          const body = schema.safeParse(request.body ?? undefined);
          if (!body.success)
            return sendError(
              reply,
              400,
              'bad_request',
              `Expected ${expected}: ${describeIssues(body.error)}`,
            );
          if (!writes.take()) {
            const seconds = Math.max(1, Math.ceil(writes.waitMs / 1000));
            void reply.header('retry-after', String(seconds));
            return sendError(
              reply,
              429,
              'rate_limited',
              `Too many receiving scans at this terminal; retry in ${seconds} s`,
            );
          }
          return answer(reply, () => run(id, body.data));
        },
      );
    };
    write('scan', scanBody, '{"data": "<raw scan>"}', (id, b) => desk.scan(id, b.data));
    write('open-container', scanBody, '{"data": "<pallet or case label>"}', (id, b) =>
      desk.openContainer(id, b.data),
    );
    write('put-aside', putAsideBody, `{"data", "reason": ${PUT_ASIDE_REASONS.join('|')}}`, (id, b) =>
      desk.putAside(id, b.data, b.reason),
    );
    write('close', closeBody, '{"outcome": "complete"} or {"outcome": "partial", "reason": "…"}', (id, b) =>
      desk.close(id, b),
    );
  };
}

function deliveryIdOf(params: unknown, reply: FastifyReply): string | undefined {
  const parsed = deliveryIdParam.safeParse(params);
  if (parsed.success) return parsed.data.deliveryId;
  void sendError(reply, 400, 'bad_delivery_id', describeIssues(parsed.error));
  return undefined;
}

/** `{ status: 'ok', data }`, or a desk fault in the wire format with its status. */
async function answer(reply: FastifyReply, run: () => unknown): Promise<unknown> {
  try {
    return { status: 'ok', data: run() };
  } catch (error) {
    const status = error instanceof VeritermError ? STATUS[error.code] : undefined;
    if (status === undefined) throw error;
    return sendError(reply, status, (error as VeritermError).code, (error as Error).message);
  }
}
