import type { FastifyInstance } from 'fastify';
import { VeritermError } from '../../errors.js';
import type { HealthModel } from '../../health/health-model.js';
import type { Ledger } from '../../ledger/ledger.js';
import { type RecordRow, rowToRecord } from '../../ledger/ledger-reads.js';
import type { PrintQueue } from '../../printing/print-queue.js';
import type { ManagerReceiving } from '../../receiving/overview-types.js';
import type { RegistryReader } from '../../registry/types.js';
import type { QueryLog } from '../../verify/query-log.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';
import type { HttpPlugin } from '../http-deps.js';
import { managerExportRoute } from './manager-export.js';
import { managerReceivingRoute } from './manager-receiving.js';
import type { ManagerAlert, ManagerCharts, ManagerEvent, ManagerOverview } from './manager-types.js';

export interface ManagerDeps {
  health: HealthModel;
  ledger: Ledger;
  queryLog: QueryLog;
  registry: RegistryReader;
  config: { terminal: { storeId: string; terminalId: string }; verify: { maxRegistryAgeMs: number } };
  /** The receipt printer's queue (previews, reprint). */
  printQueue?: PrintQueue;
  /** Upstream link state when a sync runs. */
  sync?: () =>
    | { link: 'up' | 'down'; backlog: number; lastAckAt?: string; oldestPendingAt?: string }
    | undefined;
  /** Receiving's stock, deliveries and discrepancies (GET /api/v1/manager/receiving). */
  receiving?: { read(): ManagerReceiving };
  /** Refreshes pull-style health items (registry age, process, storage) before answering. */
  refreshHealth?: () => void;
  now?: () => number;
}

/**
 * The store manager's API under /api/v1/manager (manager role on every route): one overview for the
 * tiles, alerts, event log and receipts; charts per hour; receipt preview PNG and reprint; a day's
 * ledger as CSV. Live changes go over the WebSocket as `health` messages (server.ts broadcasts every
 * health change to cashier-and-above pages), so the page re-reads the overview only on a push.
 */
export function managerRoutes(deps: ManagerDeps): HttpPlugin {
  const now = deps.now ?? Date.now;
  return (app: FastifyInstance) => {
    const manager = { preHandler: requireRole('manager') };
    const db = deps.ledger.db;
    const alertRows = db.prepare(
      "SELECT * FROM ledger_records WHERE type = 'alert' ORDER BY seq DESC LIMIT ?",
    );
    const recentRecords = db.prepare('SELECT * FROM ledger_records ORDER BY seq DESC LIMIT ?');
    const salesPerHour = db.prepare(
      "SELECT substr(at, 1, 13) AS hour, count(*) AS n FROM ledger_records WHERE type = 'sale' AND at >= ? GROUP BY hour",
    );

    const alerts = (limit: number): ManagerAlert[] =>
      (alertRows.all(limit) as RecordRow[]).map((row) => {
        const r = rowToRecord(row);
        const kind = typeof r.payload.kind === 'string' ? r.payload.kind : 'alert';
        return { id: r.id, seq: r.seq, at: r.at, kind, details: r.payload };
      });

    const events = (limit: number): ManagerEvent[] => {
      const checks: ManagerEvent[] = deps.queryLog.recent(limit).map((c) => ({
        at: c.checkedAt,
        kind: 'check',
        what: c.verdict,
        detail: `${c.source}${c.deviceId ? `/${c.deviceId}` : ''}: ${c.key ?? '(unreadable)'} — ${c.reason}`,
        // The parts, for the page to word in its language (the reason is a code: verify/reasons.ts).
        reason: c.reason,
        source: c.source,
        ...(c.deviceId ? { deviceId: c.deviceId } : {}),
        ...(c.key ? { key: c.key } : {}),
      }));
      const records: ManagerEvent[] = (recentRecords.all(limit) as RecordRow[]).map((row) => {
        const r = rowToRecord(row);
        return { at: r.at, kind: 'record', what: r.type, detail: `#${r.seq} ${r.id}`, seq: r.seq };
      });
      return [...checks, ...records].sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
    };

    app.get('/api/v1/manager/overview', manager, async () => {
      deps.refreshHealth?.();
      const state = deps.registry.state();
      const sync = deps.sync?.();
      const data: ManagerOverview = {
        storeId: deps.config.terminal.storeId,
        terminalId: deps.config.terminal.terminalId,
        health: deps.health.snapshot(),
        registry: state
          ? { ...state, ageMs: now() - Date.parse(state.asOf), maxAgeMs: deps.config.verify.maxRegistryAgeMs }
          : null,
        upstream: sync
          ? {
              link: sync.link,
              backlog: sync.backlog,
              ...(sync.lastAckAt ? { lastAckAt: sync.lastAckAt } : {}),
              ...(sync.oldestPendingAt ? { oldestPendingAt: sync.oldestPendingAt } : {}),
            }
          : null,
        alerts: alerts(50),
        events: events(50),
        receipts: (deps.printQueue?.recent(20) ?? []).map((j) => ({
          id: j.id,
          kind: j.kind,
          state: j.state,
          createdAt: new Date(j.createdAt).toISOString(),
          ...(j.ref ? { ref: j.ref } : {}),
        })),
      };
      return { status: 'ok', data };
    });

    app.get<{ Querystring: { hours?: string } }>(
      '/api/v1/manager/charts',
      manager,
      async (request, reply) => {
        const hours = request.query.hours === undefined ? 24 : Number(request.query.hours);
        if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31)
          return sendError(
            reply,
            400,
            'bad_request',
            `Expected hours between 1 and 744, got '${request.query.hours}'`,
          );
        const end = Math.floor(now() / 3_600_000) * 3_600_000;
        const labels = Array.from({ length: hours }, (_, i) =>
          new Date(end - (hours - 1 - i) * 3_600_000).toISOString().slice(0, 13),
        );
        const since = `${labels[0]}:00:00.000Z`;
        const index = new Map(labels.map((h, i) => [h, i]));
        const checks: Record<string, number[]> = {};
        for (const row of deps.queryLog.perHour(since)) {
          const i = index.get(row.hour);
          if (i === undefined) continue;
          checks[row.verdict] ??= new Array<number>(hours).fill(0);
          checks[row.verdict]![i] = row.n;
        }
        const sales = new Array<number>(hours).fill(0);
        for (const row of salesPerHour.all(since) as { hour: string; n: number }[]) {
          const i = index.get(row.hour);
          if (i !== undefined) sales[i] = row.n;
        }
        const data: ManagerCharts = { hours: labels, checks, sales };
        return { status: 'ok', data };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v1/manager/receipts/:id/preview.png',
      manager,
      async (request, reply) => {
        const png = await deps.printQueue?.preview(request.params.id);
        if (!png)
          return sendError(reply, 404, 'not_found', `No receipt preview for job ${request.params.id}`);
        return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png);
      },
    );

    app.post('/api/v1/manager/receipts/reprint', manager, async (_request, reply) => {
      if (!deps.printQueue) return sendError(reply, 409, 'no_printer', 'No receipt printer is configured');
      try {
        const job = deps.printQueue.reprintLast();
        return { status: 'ok', data: { id: job.id, state: job.state } };
      } catch (error) {
        // An expected state, not a fault: nothing has been printed on this printer yet.
        if (error instanceof VeritermError && error.code === 'print_nothing_to_reprint')
          return sendError(
            reply,
            409,
            'nothing_to_reprint',
            'No receipt has been printed yet, so none can be reprinted',
          );
        throw error;
      }
    });

    managerExportRoute(app, { ledger: deps.ledger });
    if (deps.receiving) managerReceivingRoute(app, { receiving: deps.receiving });
  };
}
