import { UsageError } from '../../terminal/errors.js';
import { StockReader, stockCsv } from '../../terminal/receiving/stock.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';
import { dataDirOf, hasReceiving, openTerminalDb } from './open-terminal-db.js';

const USAGE = `Usage: veriterm stock [--data DIR] [--csv] [--unit CODE]

The store's own stock at unit level (docs/receiving.md): per product, units received here (checked
in from delivery notes, less those put aside), sold (an active write-off in the ledger; a return
counts the unit again) and on hand = received − sold.
  --csv        print product,received,sold,on_hand lines (for a spreadsheet)
  --unit CODE  whether one unit (any code form the scanner reads) is on hand, and why not
  --data DIR   data directory (default: $VERITERM_DATA or ./data)
`;

/** `veriterm stock`: counts per product, CSV export, or one unit's state. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'stock',
    argv,
    { data: { type: 'string' }, csv: { type: 'boolean' }, unit: { type: 'string' } },
    { usage: USAGE, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.csv && values.unit !== undefined)
    throw new UsageError('veriterm stock: --csv and --unit go separately (--unit prints one unit)');
  const db = openTerminalDb(dataDirOf(values.data), { readonly: true });
  try {
    if (!hasReceiving(db)) {
      io.stderr.write('veriterm stock: no delivery note imported yet: stock is empty\n');
      if (values.csv) io.stdout.write(stockCsv([]));
      return 0;
    }
    const stock = new StockReader(db);
    if (values.unit !== undefined) {
      io.stdout.write(`${JSON.stringify(stock.unit(values.unit))}\n`);
      return 0;
    }
    const rows = stock.countsByProduct();
    if (values.csv) {
      io.stdout.write(stockCsv(rows));
      return 0;
    }
    const width = Math.max(7, ...rows.map((r) => r.productKey.length));
    const lines = [`${'product'.padEnd(width)}  received      sold   on hand`];
    for (const r of rows)
      lines.push(
        `${r.productKey.padEnd(width)}  ${String(r.received).padStart(8)}  ${String(r.sold).padStart(8)}  ${String(r.onHand).padStart(8)}`,
      );
    const total = rows.reduce((n, r) => n + r.onHand, 0);
    lines.push(`${rows.length} products, ${total} units on hand`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    db.close();
  }
}
