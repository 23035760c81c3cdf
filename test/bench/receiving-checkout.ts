import { join } from 'node:path';
import { parseCode, productKeyOf } from '../../terminal/codes/index.js';
import type { ReceivingMode } from '../../terminal/receiving/options.js';
import { ReceivedUnits } from '../../terminal/receiving/unit-receipt.js';
import { deliverInto } from '../helpers/receive-into.js';
import { sscc } from '../helpers/receiving-fixture.js';
import { code, openTerminal } from '../integration/checkout/checkout-fixture.js';
import { alternatedRounds, mean, nowMs, percentile, report, scaled } from './lib.js';

const B = 'receiving';
const LINES = 10;
const PER_CASE = 50;
const CASES_PER_PALLET = 50;

type Terminal = ReturnType<typeof openTerminal>;

/**
 * A checkout terminal (real SQLite files, ledger, verifier and receiving tables) holding `units`
 * received units of the covered product (checked in pallet by pallet), in `mode`. Both modes get
 * the same stock, so the files are alike and only the lookup differs.
 */
function stockedTerminal(dir: string, mode: ReceivingMode, units: number): Terminal {
  const t = openTerminal({ dir, receivingMode: mode });
  const perPallet = PER_CASE * CASES_PER_PALLET;
  for (let first = 0, p = 1; first < units; first += perPallet, p++) {
    const count = Math.min(perPallet, units - first);
    const cases = Math.ceil(count / PER_CASE);
    const session = deliverInto(t, {
      deliveryId: `BENCH-${p}`,
      pallets: [
        {
          sscc: sscc(p * 1000),
          cases: Array.from({ length: cases }, (_, c) => ({
            sscc: sscc(p * 1000 + c + 1),
            units: Array.from({ length: Math.min(PER_CASE, count - c * PER_CASE) }, (_, u) =>
              code(first + c * PER_CASE + u + 1),
            ),
          })),
        },
      ],
    });
    session.scan(`00${sscc(p * 1000)}`);
    session.close({ outcome: 'complete' });
  }
  return t;
}

/** CPU (user + system, all threads) per sale of `sales` 10-line sales of received units from `next`. */
function cpuPerSale(t: Terminal, next: () => string, sales: number): number {
  const before = process.cpuUsage();
  for (let s = 0; s < sales; s++) {
    const outcome = t.checkout.completeSale({
      lines: Array.from({ length: LINES }, () => ({ data: next() })),
    });
    if (!outcome.ok) throw new Error(`bench sale refused: ${JSON.stringify(outcome)}`);
    if (outcome.sale.lines.some((l) => l.flag)) throw new Error('a received unit was flagged not_received');
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / sales;
}

/**
 * Checkout CPU per sale with receiving.mode warn against off (issue 18: goal ≤ 1.05×): the same
 * 10-line sales of received units, one durable transaction each, on two terminals with the same
 * stock, in alternating rounds (off, warn, off, warn, …) so drift in machine load hits both; the
 * ratio is of the totals. Also the lookup alone (ReceivedUnits.of, the one indexed lookup per line).
 */
export function checkoutCpu(dir: string): void {
  const units = scaled(100_000);
  const rounds = 20;
  const perRound = Math.max(5, Math.floor(scaled(4_000) / rounds));
  const needed = (rounds * perRound + perRound) * LINES;
  if (needed > units) throw new Error(`bench needs ${needed} received units, has ${units}`);
  const built = nowMs();
  const terminals = {
    off: stockedTerminal(join(dir, 'checkout-off'), 'off', units),
    warn: stockedTerminal(join(dir, 'checkout-warn'), 'warn', units),
  };
  report(B, 'checkout_stock_units', units, 'units');
  report(B, 'checkout_setup', (nowMs() - built) / 1000, 's');
  try {
    // Each terminal sells the same sequence of units (its own ledger): serials spread over the stock.
    const stride = Math.floor(units / needed);
    const cursor = { off: 0, warn: 0 };
    const next = (mode: 'off' | 'warn') => () => code(1 + ((cursor[mode]++ * stride) % units));
    // One warm-up each (JIT, statement caches), then alternated rounds.
    const per = alternatedRounds(['off', 'warn'], rounds, (mode) =>
      cpuPerSale(terminals[mode], next(mode), perRound),
    );
    report(B, 'checkout_cpu_per_sale_off', mean(per.off), 'ms');
    report(B, 'checkout_cpu_per_sale_warn', mean(per.warn), 'ms');
    report(B, 'checkout_cpu_warn_vs_off', mean(per.warn) / mean(per.off), 'x');
    report(
      B,
      'checkout_cpu_warn_vs_off_round_median',
      percentile(
        per.warn.map((w, i) => w / per.off[i]!),
        50,
      ),
      'x',
    );

    // The lookup alone, over received units spread across the stock: one unit at a time (a kiosk
    // scan) and a 10-line basket in one statement (what a sale does).
    const lookup = new ReceivedUnits(terminals.warn.db);
    const keys = Array.from({ length: 20_000 }, (_, i) => {
      const parsed = parseCode(code(1 + ((i * 7919) % units)));
      if (!parsed.ok) throw new Error('bench code unreadable');
      return { key: parsed.key, productKey: productKeyOf(parsed)! };
    });
    // CPU time, as for the sales: a loaded machine stretches wall time, not the work done.
    const cpuUs = (f: () => void) => {
      const before = process.cpuUsage();
      f();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / keys.length;
    };
    const one = cpuUs(() => {
      for (const { key, productKey } of keys)
        if (lookup.of(key, productKey)?.state !== 'received') throw new Error('not received');
    });
    report(B, 'checkout_lookup_one_unit_cpu', one, 'us');
    const basket = cpuUs(() => {
      for (let i = 0; i < keys.length; i += LINES)
        if (lookup.ofMany(keys.slice(i, i + LINES)).size !== LINES) throw new Error('not received');
    });
    report(B, 'checkout_lookup_per_line_in_basket_cpu', basket, 'us');
  } finally {
    terminals.off.close();
    terminals.warn.close();
  }
}
