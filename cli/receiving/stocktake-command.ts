import { UsageError, VeritermError } from '../../terminal/errors.js';
import { LedgerReads } from '../../terminal/ledger/ledger-reads.js';
import { readOnlyLedger } from '../../terminal/stock/read-only-ledger.js';
import { StockStore } from '../../terminal/stock/stock-store.js';
import { StocktakeService } from '../../terminal/stock/stocktake-service.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';
import { dataDirOf, hasReceiving, openTerminalDb } from './open-terminal-db.js';

const USAGE = `Usage: veriterm stocktake <list|report|csv|shipments> [ID] [options]

Stocktakes (盘点) and shipments out on this terminal (docs/stock.md). Counting, closing and
accepting happen on the terminal's API (POST /api/v1/stocktakes…); these commands read.
  list            stocktakes: id, state, scope, opened by and when, its record
  report ID       a stocktake's differences (the signed record's, once closed) as JSON
  csv ID          the same as CSV: code,product,difference,detail
  shipments       returns to supplier, transfers and destructions: id, state, kind, reason

  --data DIR  data directory (default: $VERITERM_DATA or ./data)
  --json      list as JSON
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'stocktake',
    argv,
    { data: { type: 'string' }, json: { type: 'boolean' } },
    { usage: USAGE, io },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [sub, id, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`veriterm stocktake: unexpected argument '${rest[0]}'`);
  const needsId = sub === 'report' || sub === 'csv';
  if (!['list', 'report', 'csv', 'shipments'].includes(sub ?? ''))
    throw new UsageError(
      `veriterm stocktake: expected 'list', 'report ID', 'csv ID' or 'shipments', got ${sub === undefined ? 'none' : `'${sub}'`}\n\n${USAGE}`,
    );
  if (needsId !== (id !== undefined))
    throw new UsageError(
      `veriterm stocktake ${sub}: ${needsId ? 'expected a stocktake ID' : `unexpected '${id}'`}`,
    );
  const db = openTerminalDb(dataDirOf(values.data));
  try {
    if (!hasReceiving(db)) {
      io.stderr.write('veriterm stocktake: no delivery received yet: nothing to count\n');
      return sub === 'list' || sub === 'shipments' ? 0 : 1;
    }
    const store = new StockStore(db);
    const service = new StocktakeService({ store, ledger: readOnlyLedger(new LedgerReads(db)) });
    if (sub === 'report') {
      io.stdout.write(`${JSON.stringify(service.report(id!), null, 2)}\n`);
      return 0;
    }
    if (sub === 'csv') {
      io.stdout.write(service.csv(id!));
      return 0;
    }
    const rows = store.sessions(sub === 'list' ? 'stocktake' : 'stock_out', 1000);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows.map((r) => ({ ...r, params: JSON.parse(r.params) })))}\n`);
      return 0;
    }
    for (const r of rows) {
      const p = JSON.parse(r.params) as Record<string, unknown>;
      const what =
        sub === 'list'
          ? `scope ${p.scope === 'all' ? 'all' : (p.scope as string[]).join(',')}`
          : `${p.kind} ${p.reason}${p.toStoreId ? ` → ${p.toStoreId}` : ''}${p.supplierId ? ` → ${p.supplierId}` : ''}`;
      io.stdout.write(
        `${r.id}  ${r.state.padEnd(9)}  ${what}  by ${r.openedBy} at ${r.openedAt}${r.recordId ? `  record ${r.recordId}` : ''}\n`,
      );
    }
    if (rows.length === 0)
      io.stderr.write(`veriterm stocktake: no ${sub === 'list' ? 'stocktakes' : 'shipments'} yet\n`);
    return 0;
  } catch (error) {
    if (error instanceof VeritermError && error.code === 'session_unknown') {
      io.stderr.write(`veriterm stocktake: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    db.close();
  }
}
