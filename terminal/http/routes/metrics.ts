import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { HealthModel } from '../../health/health-model.js';
import type { RegistryReader } from '../../registry/types.js';
import { requireRole } from '../auth/require-role.js';
import type { HttpPlugin } from '../http-deps.js';

export interface OperationsDeps {
  metrics: Registry;
  health: HealthModel;
  registry: RegistryReader;
  /** Refreshes pull-style health items before a scrape. */
  refreshHealth?: () => void;
}

/**
 * For operations: `GET /metrics` (Prometheus text format; manager role, e.g. a static API token in
 * Prometheus' `authorization` config, since health details are not for the shop floor),
 * `GET /healthz` (the process answers: liveness) and `GET /readyz` (it can serve verdicts: a
 * registry is loaded and not expired; 503 otherwise). The two probes say no more than that, so
 * they need no sign-in.
 */
export function operationsRoutes(deps: OperationsDeps): HttpPlugin {
  return (app: FastifyInstance) => {
    app.get('/metrics', { preHandler: requireRole('manager') }, async (_request, reply) => {
      deps.refreshHealth?.();
      const text = await deps.metrics.metrics();
      return reply.type(deps.metrics.contentType).send(text);
    });
    app.get('/healthz', async () => ({ status: 'ok', data: { alive: true } }));
    app.get('/readyz', async (_request, reply) => {
      const state = deps.registry.state();
      const expired = state ? Date.parse(state.expires) <= Date.now() : true;
      if (!state || expired) {
        return reply.code(503).send({
          status: 'error',
          error: {
            code: 'not_ready',
            message: state
              ? `registry v${state.version} expired at ${state.expires}`
              : 'no registry imported',
          },
        });
      }
      return { status: 'ok', data: { ready: true, registryVersion: state.version } };
    });
  };
}
