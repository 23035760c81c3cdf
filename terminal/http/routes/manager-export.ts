import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../../ledger/ledger.js';
import type { LedgerRecord } from '../../ledger/types.js';
import { requireRole } from '../auth/require-role.js';
import { sendError } from '../errors.js';

/**
 * Same columns as `veriterm ledger export --format csv` (terminal/cli/commands/ledger.ts), so a
 * spreadsheet made from either lines up. Kept in step by hand until that module exports its writer.
 */
const CSV_COLUMNS = [
  'seq',
  'id',
  'type',
  'at',
  'store_id',
  'terminal_id',
  'code_key',
  'sale_id',
  'payload',
  'prev_hash',
  'hash',
  'signature',
];

function csvRow(r: LedgerRecord): string[] {
  const p = r.payload as { codeKey?: unknown; saleId?: unknown };
  const codeKey = typeof p.codeKey === 'string' ? p.codeKey : '';
  const saleId = r.type === 'sale' ? r.id : typeof p.saleId === 'string' ? p.saleId : '';
  return [
    String(r.seq),
    r.id,
    r.type,
    r.at,
    r.storeId,
    r.terminalId,
    codeKey,
    saleId,
    JSON.stringify(r.payload),
    r.prevHash,
    r.hash,
    r.signature,
  ];
}

/** RFC 4180: quote fields holding a comma, quote or line break; double inner quotes. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The ledger's records of one UTC day as CSV. */
export function ledgerDayCsv(ledger: Pick<Ledger, 'recordsBetween'>, day: string): string {
  const from = new Date(`${day}T00:00:00.000Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of ledger.recordsBetween(from.toISOString(), to.toISOString()))
    lines.push(csvRow(r).map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** GET /api/v1/manager/ledger.csv?day=YYYY-MM-DD (manager): a day's ledger as a CSV download. */
export function managerExportRoute(app: FastifyInstance, deps: { ledger: Ledger }): void {
  app.get<{ Querystring: { day?: string } }>(
    '/api/v1/manager/ledger.csv',
    { preHandler: requireRole('manager') },
    async (request, reply) => {
      const day = request.query.day;
      if (
        day === undefined ||
        !/^\d{4}-\d{2}-\d{2}$/.test(day) ||
        Number.isNaN(Date.parse(`${day}T00:00:00Z`))
      )
        return sendError(reply, 400, 'bad_request', `Expected day=YYYY-MM-DD, got '${day ?? ''}'`);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ledger-${day}.csv"`)
        .send(ledgerDayCsv(deps.ledger, day));
    },
  );
}
