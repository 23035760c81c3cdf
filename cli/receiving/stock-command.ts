import { UsageError } from '../../terminal/errors.js';
import { StockReader, stockCsv } from '../../terminal/receiving/stock.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';
import { dataDirOf, hasReceiving, openTerminalDb } from './open-terminal-db.js';

const USAGE = `Usage: veriterm stock [--data DIR] [--csv] [--unit CODE]

The store's own stock at unit level (docs/stock.md): per product, units received here (checked
in from delivery notes, less those put aside), found by a stocktake adjustment, sold (an active
write-off; a return counts the unit again), returned to supplier, transferred, destroyed, lost
(a stocktake adjustment), and on hand = received + found − sold − shipped out − destroyed − lost.
  --csv        print product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand
  --unit CODE  whether one unit (any code form the scanner reads) is on hand, and why not
  --data DIR   data directory (default: $VERITERM_DATA or ./data)
`;

const r0 = (title: string) => title.padStart(11);

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
    const cols = [
      r0('received'),
      r0('sold'),
      r0('shipped out'),
      r0('destroyed'),
      r0('lost/found'),
      r0('on hand'),
    ];
    const lines = [`${'product'.padEnd(width)}  ${cols.join('  ')}`];
    for (const r of rows) {
      const cells = [
        r.received,
        r.sold,
        r.returnedToSupplier + r.transferred,
        r.destroyed,
        `-${r.lost}/+${r.foundIn}`,
        r.onHand,
      ];
      lines.push(`${r.productKey.padEnd(width)}  ${cells.map((c) => String(c).padStart(11)).join('  ')}`);
    }
    const total = rows.reduce((n, r) => n + r.onHand, 0);
    lines.push(`${rows.length} products, ${total} units on hand`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    db.close();
  }
}
