import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VeritermError } from '../../errors.js';
import type { LedgerRecord } from '../../ledger/types.js';
import { STOCK_OUT_KINDS, STOCK_OUT_REASONS } from '../../ledger/types.js';
import { stockCsv } from '../../receiving/stock.js';
import { MAX_SCANS_PER_CALL } from '../../stock/stock-scan.js';
import type { StockServices } from '../../stock/stock-services.js';
import type { SessionRow } from '../../stock/stock-store.js';
import { requireRole } from '../auth/require-role.js';
import { HttpError } from '../errors.js';
import type { HttpPlugin } from '../http-deps.js';
import { describeIssues } from './kiosk-routes.js';

const code = z.string().min(1).max(512);
const codes = z.strictObject({ codes: z.array(code).min(1).max(MAX_SCANS_PER_CALL) });
const sessionId = z.strictObject({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a session id (ULID)') });
const stocktakeBody = z.strictObject({
  scope: z.union([z.literal('all'), z.array(z.string().min(1).max(64)).min(1).max(10_000)]).default('all'),
});
const acceptBody = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  missing: z.union([z.literal('all'), z.array(code).max(200_000)]).optional(),
  extra: z.union([z.literal('all'), z.array(code).max(200_000)]).optional(),
});
const shipmentBody = z.strictObject({
  kind: z.enum(STOCK_OUT_KINDS),
  reason: z.enum(STOCK_OUT_REASONS),
  note: z.string().max(500).optional(),
  supplierId: z.string().min(1).max(64).optional(),
  toStoreId: z.string().min(1).max(64).optional(),
});

/** HTTP status of each refusal the stock services throw (a typed fault's code). */
const STATUS: Record<string, number> = {
  session_unknown: 404,
  session_closed: 409,
  session_open: 409,
  already_accepted: 409,
  units_not_on_hand: 409,
  shipment_empty: 409,
  shipment_full: 409,
  nothing_to_adjust: 409,
  stocktake_too_large: 409,
  stocktake_full: 409,
  too_many_open_sessions: 409,
  bad_scope: 400,
  bad_shipment: 400,
  bad_scan_batch: 400,
  reason_missing: 400,
};

/** Who did it, for the records: the signed-in user, else the token's name, else the role. */
const who = (request: FastifyRequest) => request.principal?.name ?? request.principal?.role ?? 'unknown';

function parse<T>(schema: z.ZodType<T>, value: unknown, expected: string): T {
  const parsed = schema.safeParse(value ?? undefined);
  if (!parsed.success)
    throw new HttpError(400, 'bad_request', `Expected ${expected}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** A service's typed refusal leaves with its status (404, 409, 400); anything else as it is. */
function refusal(error: unknown): unknown {
  if (error instanceof VeritermError && STATUS[error.code] !== undefined)
    return new HttpError(STATUS[error.code]!, error.code, error.message);
  return error;
}

/** Runs a service call, its refusals mapped. */
function run<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw refusal(error);
  }
}

/** The same for a read answered by the reads thread. */
async function runAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw refusal(error);
  }
}

const view = (s: SessionRow) => ({
  id: s.id,
  type: s.type,
  state: s.state,
  params: JSON.parse(s.params) as unknown,
  openedBy: s.openedBy,
  openedAt: s.openedAt,
  closedAt: s.closedAt,
  recordId: s.recordId,
  acceptedRecordId: s.acceptedRecordId,
});

const ok = (reply: FastifyReply, data: unknown, status = 200) =>
  reply.code(status).send({ status: 'ok', data });

/**
 * Stock operations (docs/stock.md): stock counts and stocktakes for cashiers and above (the
 * clerk who counts the shelf); accepting a stocktake's differences and every shipping out
 * (return to supplier, transfer, destruction) for managers only, since they change stock and
 * chain-wide state. Every body is checked before a service runs; services are the composition
 * root's (`stockServices`), this file builds none.
 */
export function stockRoutes(
  services: StockServices,
  /** The ledger, for a closed stocktake's signed records (GET …/records); without it that route is absent. */
  ledger?: { record(id: string): LedgerRecord | undefined },
): HttpPlugin {
  const { stocktakes, shipments, store, reads } = services;
  return (app: FastifyInstance) => {
    const cashier = { preHandler: requireRole('cashier') };
    const manager = { preHandler: requireRole('manager') };
    const idOf = (request: FastifyRequest) => parse(sessionId, request.params, 'a session id').id;

    app.get('/api/v1/stock', cashier, async (request, reply) => {
      // One pass over stock on hand (seconds at a million units): on the reads thread.
      const rows = await runAsync(() => reads.counts());
      if ((request.query as { format?: string }).format === 'csv')
        return reply.type('text/csv; charset=utf-8').send(stockCsv(rows));
      return ok(reply, rows);
    });
    app.get('/api/v1/stock/units/:code', cashier, async (request, reply) => {
      const { code: raw } = parse(z.strictObject({ code }), request.params, 'a unit code');
      return ok(reply, store.reader.unit(raw));
    });

    app.post('/api/v1/stocktakes', cashier, async (request, reply) => {
      const { scope } = parse(stocktakeBody, request.body ?? {}, '{"scope": "all" | ["<product key>", …]}');
      const session = run(() => stocktakes.open({ scope, openedBy: who(request) }));
      // A whole-store count: the reads thread takes its snapshot of stock on hand now, while the
      // shelves are scanned, so the report after the last scan applies only the changes since.
      reads
        .prime(session.id)
        .catch((error: unknown) => request.log.warn({ err: error }, 'stocktake snapshot'));
      return ok(reply, view(session), 201);
    });
    app.get('/api/v1/stocktakes', cashier, async (_request, reply) => ok(reply, stocktakes.list().map(view)));
    app.get('/api/v1/stocktakes/:id', cashier, async (request, reply) => {
      const id = idOf(request);
      return ok(reply, view(run(() => stocktakes.session(id))));
    });
    app.post('/api/v1/stocktakes/:id/scans', cashier, async (request, reply) => {
      const id = idOf(request);
      const body = parse(codes, request.body, `{"codes": [1 to ${MAX_SCANS_PER_CALL} scans]}`);
      return ok(
        reply,
        run(() => stocktakes.scanMany(id, body.codes)),
      );
    });
    app.get('/api/v1/stocktakes/:id/report', cashier, async (request, reply) => {
      const id = idOf(request);
      // A pass over stock on hand in scope (or the whole-store snapshot), and the JSON text of a
      // report that may list a million units: both on the reads thread.
      const report = await runAsync(() => reads.reportJson(id));
      return reply.type('application/json; charset=utf-8').send(`{"status":"ok","data":${report}}`);
    });
    // What a closed stocktake said when it closed (its report now would count the stock since)
    // and what its acceptance adjusted: the handheld shows them when it opens a closed stocktake.
    if (ledger)
      app.get('/api/v1/stocktakes/:id/records', cashier, async (request, reply) => {
        const id = idOf(request);
        const s = run(() => stocktakes.session(id));
        const payload = (recordId: string | null) =>
          recordId === null ? undefined : ledger.record(recordId)?.payload;
        return ok(reply, { stocktake: payload(s.recordId), adjustment: payload(s.acceptedRecordId) });
      });
    app.get('/api/v1/stocktakes/:id/csv', cashier, async (request, reply) => {
      const id = idOf(request);
      // Up to a million lines (a whole store's missing units): made on the reads thread.
      const csv = await runAsync(() => reads.csv(id));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="stocktake-${id}.csv"`)
        .send(csv);
    });
    app.post('/api/v1/stocktakes/:id/close', cashier, async (request, reply) => {
      const id = idOf(request);
      // The report is made on the reads thread; the write transaction re-checks what changed since.
      return ok(reply, await runAsync(() => reads.closeStocktake(id)));
    });
    app.post('/api/v1/stocktakes/:id/accept', manager, async (request, reply) => {
      const id = idOf(request);
      const body = parse(
        acceptBody,
        request.body,
        '{"reason", "missing"?: "all" | [codes], "extra"?: "all" | [codes]}',
      );
      return ok(
        reply,
        run(() => stocktakes.accept(id, { ...body, approvedBy: who(request) })),
      );
    });

    app.post('/api/v1/shipments', manager, async (request, reply) => {
      const body = parse(
        shipmentBody,
        request.body,
        '{"kind", "reason", "note"?, "supplierId"?, "toStoreId"?}',
      );
      return ok(reply, view(run(() => shipments.open({ ...body, openedBy: who(request) }))), 201);
    });
    app.get('/api/v1/shipments/:id', manager, async (request, reply) => {
      const id = idOf(request);
      return ok(
        reply,
        run(() => ({ ...view(shipments.session(id)), units: shipments.units(id) })),
      );
    });
    app.post('/api/v1/shipments/:id/scans', manager, async (request, reply) => {
      const id = idOf(request);
      const body = parse(codes, request.body, `{"codes": [1 to ${MAX_SCANS_PER_CALL} scans]}`);
      return ok(
        reply,
        run(() => shipments.scanMany(id, body.codes)),
      );
    });
    app.post('/api/v1/shipments/:id/removals', manager, async (request, reply) => {
      const id = idOf(request);
      const body = parse(codes, request.body, `{"codes": [1 to ${MAX_SCANS_PER_CALL} scans]}`);
      return ok(
        reply,
        run(() => shipments.removeMany(id, body.codes)),
      );
    });
    app.post('/api/v1/shipments/:id/close', manager, async (request, reply) => {
      const id = idOf(request);
      return ok(
        reply,
        run(() => shipments.close(id, who(request))),
      );
    });
    app.post('/api/v1/shipments/:id/cancel', manager, async (request, reply) => {
      const id = idOf(request);
      run(() => shipments.cancel(id));
      return ok(reply, view(shipments.session(id)));
    });
  };
}
