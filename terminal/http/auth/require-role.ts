import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Role, roleAllows } from './roles.js';

/**
 * Fastify preHandler: refuses callers below `need` with 401 (no or unknown token) or 403 (known
 * caller, too weak a role). Use on every route: `app.post('/api/v1/sales', { preHandler: requireRole('cashier') }, …)`.
 */
export function requireRole(need: Role) {
  return async function requireRoleHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const who = request.principal;
    if (!who) {
      await reply.code(401).send({
        status: 'error',
        error: { code: 'unauthenticated', message: 'Sign in or send a bearer token' },
      });
      return;
    }
    if (!roleAllows(who.role, need)) {
      await reply.code(403).send({
        status: 'error',
        error: { code: 'forbidden', message: `This needs the ${need} role; you are ${who.role}` },
      });
    }
  };
}
