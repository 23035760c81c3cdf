import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sourceOf } from '../auth/request-source.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';
import type { TokenBucket } from '../scan-limiter.js';
import type { KioskSettings, ReportResult, VerifyResult } from '../wire-types.js';

/** A scan is at most a few hundred characters; 4096 leaves room for long Digital Link URLs. */
const verifyBody = z.strictObject({
  data: z.string().max(4096),
  source: z.enum(['wedge', 'manual', 'api']).optional(),
});
const reportBody = z.strictObject({
  checkId: z.number().int().positive(),
  note: z.string().max(500).optional(),
});

/** Zod issues as one readable line: "data: expected string, received number". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.join('.') || 'body';
      const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      return `${path}: ${i.message}${extra}`;
    })
    .join('; ');
}

/** Kiosk endpoints: read a verdict, report a pack, read settings. Nothing here writes off or changes state. */
export async function kioskRoutes(
  app: FastifyInstance,
  deps: HttpDeps,
  limits: { anonymousScans?: TokenBucket } = {},
): Promise<void> {
  const kioskOnly = { preHandler: requireRole('kiosk') };

  // Every verify is a query-log write: per source (rate-limit plugin) and, for anonymous callers,
  // the budget all anonymous clients share with the WebSocket (scan-limiter.ts).
  await app.register(async (scope) => {
    await scope.register(rateLimit, {
      max: deps.config.http.limits.verifyPerMinute,
      timeWindow: 60_000,
      keyGenerator: sourceOf,
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        status: 'error',
        error: { code: 'rate_limited', message: `Too many checks; retry in ${Math.ceil(ctx.ttl / 1000)} s` },
      }),
    });
    scope.post('/api/v1/verify', kioskOnly, async (request, reply) => {
      if (request.body === undefined || request.body === null || request.body === '') {
        return sendError(
          reply,
          400,
          'empty_body',
          'The request body is empty; expected {"data": "<raw scan>"}',
        );
      }
      const body = verifyBody.safeParse(request.body);
      if (!body.success) {
        return sendError(
          reply,
          400,
          'bad_request',
          `Expected {"data": "<raw scan>"}: ${describeIssues(body.error)}`,
        );
      }
      if (request.principal?.via === 'anonymous' && limits.anonymousScans && !limits.anonymousScans.take()) {
        const seconds = Math.max(1, Math.ceil(limits.anonymousScans.waitMs / 1000));
        void reply.header('retry-after', String(seconds));
        return sendError(
          reply,
          429,
          'rate_limited',
          `Too many checks at this terminal; retry in ${seconds} s`,
        );
      }
      const result: VerifyResult = deps.verifier.verify(body.data.data, {
        source: body.data.source ?? 'api',
      });
      return { status: 'ok', data: result };
    });
  });

  // Reports become ledger records that travel upstream: a kiosk may not flood them (per IP).
  await app.register(async (scope) => {
    await scope.register(rateLimit, {
      max: 20,
      timeWindow: 60_000,
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        status: 'error',
        error: { code: 'rate_limited', message: `Too many reports; retry in ${Math.ceil(ctx.ttl / 1000)} s` },
      }),
    });
    scope.post('/api/v1/reports', kioskOnly, async (request, reply) => {
      const body = reportBody.safeParse(request.body ?? undefined);
      if (!body.success) {
        return sendError(
          reply,
          400,
          'bad_request',
          `Expected {"checkId": <number>, "note"?: "…"}: ${describeIssues(body.error)}`,
        );
      }
      const outcome = deps.reports.report(body.data.checkId, body.data.note);
      if (!outcome.ok)
        return sendError(reply, outcome.code === 'unknown_check' ? 404 : 503, outcome.code, outcome.message);
      const data: ReportResult = {
        reportId: outcome.reportId,
        seq: outcome.seq,
        duplicate: outcome.duplicate,
      };
      return reply.code(outcome.duplicate ? 200 : 201).send({ status: 'ok', data });
    });
  });

  app.get('/api/v1/kiosk/settings', kioskOnly, async () => {
    const { config } = deps;
    const data: KioskSettings = {
      defaultLocale: config.kiosk.defaultLocale,
      hotline: config.kiosk.hotline,
      idleTimeoutMs: config.kiosk.idleTimeoutMs,
      storeId: config.terminal.storeId,
      terminalId: config.terminal.terminalId,
      demo: config.kiosk.demo,
      samples: config.kiosk.demo ? deps.demoSamples : [],
      wedge: config.kiosk.wedge,
    };
    return { status: 'ok', data };
  });
}
