import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sourceOf } from '../auth/request-source.js';
import { requireRole } from '../auth/require-role.js';
import { HttpError, sendError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';
import type { SignInResponse } from '../wire-types.js';
import { describeIssues } from './kiosk-routes.js';

const signInBody = z.strictObject({ user: z.string().min(1).max(64), pin: z.string().min(1).max(128) });
const unlockBody = z.strictObject({ user: z.string().min(1).max(64) });

/**
 * PIN sign-in for the checkout and manager pages. A per-source request limit
 * (`http.limits.signInPerMinute`) on top of the PIN throttle every PIN check goes through
 * (AuthService.checkPin, docs/security.md); a wrong user and a wrong PIN get the same answer.
 * A manager can clear a user's lockout: POST /api/v1/auth/unlock {"user"}.
 */
export async function authRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(rateLimit, {
      max: deps.config.http.limits.signInPerMinute,
      timeWindow: 60_000,
      keyGenerator: sourceOf,
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
      const result = await deps.auth.signIn(body.data.user, body.data.pin, sourceOf(request));
      if (!result.ok) {
        if (result.code === 'too_many_attempts') throw tooManyAttempts(result.retryAfterMs ?? 0);
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

  app.post('/api/v1/auth/unlock', { preHandler: requireRole('manager') }, async (request, reply) => {
    const body = unlockBody.safeParse(request.body ?? undefined);
    if (!body.success)
      return sendError(reply, 400, 'bad_request', `Expected {"user"}: ${describeIssues(body.error)}`);
    request.log.warn({ user: body.data.user, by: request.principal?.name }, 'PIN lockout cleared');
    return {
      status: 'ok',
      data: { user: body.data.user, cleared: deps.auth.throttle.clear(body.data.user) },
    };
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

/** 429 `too_many_attempts` with Retry-After, for every PIN path (sign-in, approvals). */
export function tooManyAttempts(retryAfterMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpError(429, 'too_many_attempts', `Too many wrong PINs; try again in ${seconds} s`, {
    'retry-after': String(seconds),
  });
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: one token, no spaces inside);
 * undefined for anything else, which the server refuses with 401 `bad_token`.
 */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}
