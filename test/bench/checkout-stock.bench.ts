import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCode, productKeyOf } from '../../terminal/codes/index.js';
import { MovedOutUnits } from '../../terminal/stock/moved-out.js';
import { StockStore } from '../../terminal/stock/stock-store.js';
import { code, openTerminal } from '../integration/checkout/checkout-fixture.js';
import { alternatedRounds, mean, percentile, report, scaled } from './lib.js';

const B = 'checkout-stock';
const LINES = 10;

type Terminal = ReturnType<typeof openTerminal>;

/**
 * What checkout's stock lookup costs (docs/stock.md "Checkout reads stock"): CPU per 10-line sale
 * (one durable transaction each) with the verifier reading the store's own `stock_moves` against
 * the same terminal without it (the raw baseline), in alternating rounds so load drift hits both.
 * `moved` units have left stock (transferred); the sold units have not, so every line pays the
 * lookup and finds nothing (the common case). Also the lookup alone, per unit.
 */
function stocked(dir: string, stockLookup: boolean, moved: number): Terminal {
  const t = openTerminal({ dir, stockLookup });
  const store = new StockStore(t.db);
  t.db.transaction(() => {
    // Units 10,000,001… left stock (the projection rows a stock_out writes).
    for (let i = 0; i < moved; i++) {
      const parsed = parseCode(code(10_000_001 + i));
      if (!parsed.ok) throw new Error('bench code unreadable');
      const productKey = productKeyOf(parsed)!;
      store.setMove(productKey, parsed.key.slice(productKey.length), 'transferred', false, 1);
    }
  })();
  return t;
}

function cpuPerSale(t: Terminal, next: () => string, sales: number): number {
  const before = process.cpuUsage();
  for (let s = 0; s < sales; s++) {
    const outcome = t.checkout.completeSale({
      lines: Array.from({ length: LINES }, () => ({ data: next() })),
    });
    if (!outcome.ok) throw new Error(`bench sale refused: ${JSON.stringify(outcome)}`);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / sales;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-checkout-stock-'));
  const moved = scaled(100_000);
  const rounds = 20;
  const perRound = Math.max(5, Math.floor(scaled(4_000) / rounds));
  const terminals = {
    raw: stocked(join(dir, 'raw'), false, moved),
    stock: stocked(join(dir, 'stock'), true, moved),
  };
  report(B, 'moved_out_units', moved, 'units');
  try {
    const cursor = { raw: 0, stock: 0 };
    const next = (which: 'raw' | 'stock') => () => code(1 + cursor[which]++);
    const per = alternatedRounds(['raw', 'stock'], rounds, (which) =>
      cpuPerSale(terminals[which], next(which), perRound),
    );
    report(B, 'sale_cpu_without_stock_lookup', mean(per.raw), 'ms');
    report(B, 'sale_cpu_with_stock_lookup', mean(per.stock), 'ms');
    report(B, 'sale_cpu_stock_vs_raw', mean(per.stock) / mean(per.raw), 'x');
    report(
      B,
      'sale_cpu_stock_vs_raw_round_median',
      percentile(
        per.stock.map((s, i) => s / per.raw[i]!),
        50,
      ),
      'x',
    );
    // The lookup alone: half the keys moved out (found), half not.
    const lookup = new MovedOutUnits(terminals.stock.db);
    const keys = Array.from({ length: 20_000 }, (_, i) => {
      const parsed = parseCode(code(i % 2 === 0 ? 10_000_001 + ((i * 7919) % moved) : 1 + i));
      if (!parsed.ok) throw new Error('bench code unreadable');
      return { key: parsed.key, productKey: productKeyOf(parsed)!, moved: i % 2 === 0 };
    });
    const before = process.cpuUsage();
    for (const k of keys)
      if ((lookup.of(k.key, k.productKey) !== undefined) !== k.moved) throw new Error('lookup wrong');
    const used = process.cpuUsage(before);
    report(B, 'lookup_cpu_per_unit', (used.user + used.system) / keys.length, 'us');
  } finally {
    terminals.raw.close();
    terminals.stock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
