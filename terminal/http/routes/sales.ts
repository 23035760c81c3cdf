import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { CheckoutService } from '../../lanes/checkout.js';
import type { SaleBatcher } from '../../lanes/checkout-batcher.js';
import type { SaleInput } from '../../lanes/checkout-types.js';
import type { ApprovalInput, CheckResponse, SaleResponse } from '../../lanes/checkout-wire.js';
import type { AuthService } from '../auth/auth-service.js';
import { sourceOf } from '../auth/request-source.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';
import type { HttpDeps, HttpPlugin } from '../http-deps.js';
import { tooManyAttempts } from './auth-routes.js';
import { describeIssues } from './kiosk-routes.js';

export const approvalSchema = z.union([
  z.strictObject({ user: z.string().min(1).max(64), pin: z.string().min(1).max(128) }),
  z.strictObject({ token: z.string().min(1).max(256) }),
]);

const saleBody = z.strictObject({
  externalRef: z.string().min(1).max(128).optional(),
  lines: z
    .array(
      z.strictObject({
        data: z.string().max(4096),
        // Split packs (拆零): parts of the pack this line sells (line-decision.ts).
        quantity: z.int().min(1).max(10_000).optional(),
        override: z
          .strictObject({ reason: z.string().trim().min(1).max(500), approval: approvalSchema })
          .optional(),
      }),
    )
    .min(1)
    .max(200),
});

const checkBody = z.strictObject({
  data: z.string().max(4096),
  quantity: z.int().min(1).max(10_000).optional(),
  deviceId: z.string().max(200).optional(),
});

/**
 * Resolves an approval to the manager's name, or undefined. A PIN approval is checked through the
 * PIN throttle (AuthService.checkPin) for the requesting `source`; a throttled one throws 429
 * `too_many_attempts`. A token must belong to a manager.
 */
export async function approverOf(
  auth: AuthService,
  approval: ApprovalInput,
  source: string,
): Promise<string | undefined> {
  if ('token' in approval) {
    const who = auth.resolve(approval.token);
    return who?.role === 'manager' && who.via !== 'anonymous' ? (who.name ?? 'manager') : undefined;
  }
  const result = await auth.checkPin(approval.user, approval.pin, source);
  if (!result.ok && result.code === 'too_many_attempts') throw tooManyAttempts(result.retryAfterMs ?? 0);
  return result.ok && result.user.role === 'manager' ? result.user.id : undefined;
}

/**
 * Checkout API (cashier role; kiosk tokens get 403):
 * - POST /api/v1/sales { externalRef?, lines: [{ data, quantity?, override? }] } → 201 sale, 409 lines refused
 *   (nothing written off), 409 idempotency_conflict, 400 bad body, 403 override not approved;
 * - GET /api/v1/sales/:id → the sale;
 * - POST /api/v1/checkout/check { data } → the verdict for one basket line and the decision the sale
 *   will make about it (sellable / overridable / refused; recorded in the query log).
 */
/** `sales`: the composition root's group commit over `checkout` (lanes/checkout-services.ts). */
export function salesRoutes(services: {
  checkout: CheckoutService;
  sales: Pick<SaleBatcher, 'submit'>;
}): HttpPlugin {
  return (app: FastifyInstance, deps: HttpDeps) => {
    const cashier = { preHandler: requireRole('cashier') };
    // Concurrent sales share one durable commit (group commit); each is answered after it.
    const { checkout, sales: batcher } = services;

    app.post('/api/v1/sales', cashier, async (request, reply) => {
      const body = saleBody.safeParse(request.body ?? undefined);
      if (!body.success) {
        return sendError(
          reply,
          400,
          'bad_request',
          `Expected {"externalRef"?, "lines": [{"data"}]}: ${describeIssues(body.error)}`,
        );
      }
      const input: SaleInput = {
        lines: [],
        ...(body.data.externalRef ? { externalRef: body.data.externalRef } : {}),
      };
      if (request.principal?.name) input.cashier = request.principal.name;
      for (const [i, line] of body.data.lines.entries()) {
        const quantity = line.quantity === undefined ? {} : { quantity: line.quantity };
        if (!line.override) {
          input.lines.push({ data: line.data, ...quantity });
          continue;
        }
        const by = await approverOf(deps.auth, line.override.approval, sourceOf(request));
        if (!by)
          return sendError(
            reply,
            403,
            'approval_refused',
            `lines.${i}.override: the approval is not a manager's`,
          );
        input.lines.push({ data: line.data, ...quantity, override: { by, reason: line.override.reason } });
      }
      const outcome = await batcher.submit(input);
      if (outcome.ok) {
        const data: SaleResponse = { ...outcome.sale, replayed: outcome.replayed };
        return reply.code(201).send({ status: 'ok', data });
      }
      return refuse(reply, outcome);
    });

    app.get<{ Params: { id: string } }>('/api/v1/sales/:id', cashier, async (request, reply) => {
      const sale = checkout.sale(request.params.id);
      if (!sale) return sendError(reply, 404, 'not_found', `No sale ${request.params.id}`);
      return { status: 'ok', data: sale };
    });

    app.post('/api/v1/checkout/check', cashier, async (request, reply) => {
      const body = checkBody.safeParse(request.body ?? undefined);
      if (!body.success)
        return sendError(reply, 400, 'bad_request', `Expected {"data"}: ${describeIssues(body.error)}`);
      // The same line decision the sale makes (terminal/lanes/line-decision.ts).
      const data: CheckResponse = checkout.checkLine(body.data.data, {
        ...(body.data.deviceId ? { deviceId: body.data.deviceId } : {}),
        ...(body.data.quantity !== undefined ? { quantity: body.data.quantity } : {}),
      });
      return { status: 'ok', data };
    });
  };
}

/** 409/400 in the wire format; a refusal lists every refused line. */
export function refuse(
  reply: FastifyReply,
  outcome: { code: string; message: string; refused?: unknown[] },
): FastifyReply {
  const status =
    outcome.code === 'invalid_sale' || outcome.code === 'invalid_return'
      ? 400
      : outcome.code === 'approval_required'
        ? 403
        : 409;
  return reply.code(status).send({
    status: 'error',
    error: {
      code: outcome.code,
      message: outcome.message,
      ...(outcome.refused ? { refused: outcome.refused } : {}),
    },
  });
}
