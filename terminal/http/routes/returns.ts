import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CheckoutService } from '../../lanes/checkout.js';
import type { ReturnResponse } from '../../lanes/checkout-wire.js';
import type { ReturnsService } from '../../lanes/returns.js';
import { sourceOf } from '../auth/request-source.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';
import type { HttpDeps, HttpPlugin } from '../http-deps.js';
import { describeIssues } from './kiosk-routes.js';
import { approvalSchema, approverOf, refuse, salesRoutes } from './sales.js';

const returnBody = z.strictObject({
  externalRef: z.string().min(1).max(128).optional(),
  saleId: z.string().min(1).max(64).optional(),
  reason: z.string().max(500).optional(),
  lines: z
    .array(z.strictObject({ data: z.string().max(4096) }))
    .min(1)
    .max(200),
  approval: approvalSchema.optional(),
});

/**
 * POST /api/v1/returns (cashier role, plus a manager's approval unless the caller is a manager):
 * 201 with the return record, 409 with a reason per refused line (nothing changed), 403 without a
 * manager's approval, 400 for a bad body.
 */
export function returnsRoutes(services: { returns: ReturnsService }): HttpPlugin {
  return (app: FastifyInstance, deps: HttpDeps) => {
    app.post('/api/v1/returns', { preHandler: requireRole('cashier') }, async (request, reply) => {
      const body = returnBody.safeParse(request.body ?? undefined);
      if (!body.success) {
        return sendError(
          reply,
          400,
          'bad_request',
          `Expected {"lines": [{"data"}], "approval"?, …}: ${describeIssues(body.error)}`,
        );
      }
      const { approval, ...rest } = body.data;
      const caller = request.principal!;
      let approvedBy: string | undefined;
      if (approval) approvedBy = await approverOf(deps.auth, approval, sourceOf(request));
      else if (caller.role === 'manager') approvedBy = caller.name ?? 'manager';
      if (!approvedBy) return sendError(reply, 403, 'approval_required', 'A return needs a manager PIN');
      const outcome = services.returns.processReturn({ ...rest, approvedBy });
      if (outcome.ok) {
        const data: ReturnResponse = { ...outcome.return, replayed: outcome.replayed };
        return reply.code(201).send({ status: 'ok', data });
      }
      return refuse(reply, outcome);
    });
  };
}

/**
 * Everything checkout adds to the server, over the services the composition root built
 * (`checkoutServices` in terminal/lanes/checkout-services.ts, called from terminal/main.ts).
 */
export function checkoutHttpPlugins(services: {
  checkout: CheckoutService;
  returns: ReturnsService;
  sales: Parameters<typeof salesRoutes>[0]['sales'];
}): HttpPlugin[] {
  return [
    salesRoutes({ checkout: services.checkout, sales: services.sales }),
    returnsRoutes({ returns: services.returns }),
  ];
}
