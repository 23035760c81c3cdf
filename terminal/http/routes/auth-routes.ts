import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../server.js';
import type { SignInResponse } from '../wire-types.js';
import { describeIssues } from './kiosk-routes.js';

const signInBody = z.strictObject({ user: z.string().min(1).max(64), pin: z.string().min(1).max(128) });

/**
 * PIN sign-in for the checkout and manager pages. IP rate limit (10/min) on top of the per-user
 * failure throttle in AuthService; a wrong user and a wrong PIN get the same answer.
 */
export async function authRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(rateLimit, {
      max: 10,
      timeWindow: 60_000,
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        status: 'error',
        error: {
          code: 'rate_limited',
          message: `Too many sign-in attempts; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
        },
      }),
    });
    scope.post('/api/v1/auth/sign-in', async (request, reply) => {
      const body = signInBody.safeParse(request.body ?? undefined);
      if (!body.success)
        return sendError(
          reply,
          400,
          'bad_request',
          `Expected {"user", "pin"}: ${describeIssues(body.error)}`,
        );
      const result = await deps.auth.signIn(body.data.user, body.data.pin);
      if (!result.ok) {
        if (result.code === 'too_many_attempts') {
          const seconds = Math.ceil((result.retryAfterMs ?? 0) / 1000);
          void reply.header('retry-after', String(seconds));
          return sendError(
            reply,
            429,
            'too_many_attempts',
            `Too many failed sign-ins; try again in ${seconds} s`,
          );
        }
        return sendError(reply, 401, 'bad_credentials', 'Wrong user or PIN');
      }
      const data: SignInResponse = {
        token: result.token,
        role: result.role,
        name: result.name,
        expiresAt: result.expiresAt,
      };
      return { status: 'ok', data };
    });
  });

  app.post('/api/v1/auth/sign-out', { preHandler: requireRole('kiosk') }, async (request) => {
    const token = bearerOf(request.headers.authorization);
    if (token) deps.auth.signOut(token);
    return { status: 'ok', data: {} };
  });

  app.get('/api/v1/auth/me', { preHandler: requireRole('kiosk') }, async (request) => ({
    status: 'ok',
    data: {
      role: request.principal!.role,
      name: request.principal!.name ?? null,
      via: request.principal!.via,
    },
  }));
}

export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}
