/**
 * A checkout lane in its own process, for the crash and concurrency tests. Loads, prints READY,
 * then waits for one command line on stdin (so the tests can start it ahead of time). Prints one
 * line per outcome to stdout (a pipe: synchronous on Linux, so a printed ACK means the commit
 * had returned).
 *
 *   crash DIR START  sells 3-line sales forever from serial START, alternately one per transaction
 *                    and two per group commit; every 7th sale also tries a code sold before (must
 *                    be refused); acknowledges the outbox now and then.
 *   race DIR CODE…   tries to sell each code alone, in order, then exits. `CODE:N` sells N parts of
 *                    a split pack (拆零) and prints `SOLD CODE:N` / `REFUSED CODE:N`.
 */
import { createInterface } from 'node:readline';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import type { SaleOutcome } from '../../../terminal/lanes/checkout-types.js';
import { code, openTerminal } from './checkout-fixture.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
out('READY');
const [mode, dir, ...rest] = String((await input.next()).value ?? '').split(' ');
if (!dir) throw new Error('expected "crash DIR START" or "race DIR CODE…" on stdin');
const t = openTerminal({ dir });

if (mode === 'crash') {
  // Odd rounds go through the group-commit batcher (two sales per transaction), even rounds alone.
  const batcher = new SaleBatcher(t.checkout);
  let serial = Number(rest[0]);
  const report = (outcome: SaleOutcome, i: number) =>
    out(
      outcome.ok
        ? `ACK ${outcome.sale.saleId} ${outcome.sale.lines.map((l) => l.codeKey).join(',')}`
        : `REFUSED ${i}`,
    );
  const basket = (i: number) => {
    const codes = [code(serial++), code(serial++), code(serial++)];
    if (i % 7 === 6) codes.push(code(serial - 9));
    return { externalRef: `${rest[0]}-${i}`, lines: codes.map((data) => ({ data })) };
  };
  for (let i = 0; ; i += 2) {
    if (i % 4 === 0) {
      report(t.checkout.completeSale(basket(i)), i);
      report(t.checkout.completeSale(basket(i + 1)), i + 1);
    } else {
      const outcomes = await Promise.all([batcher.submit(basket(i)), batcher.submit(basket(i + 1))]);
      for (const [k, o] of outcomes.entries()) report(o, i + k);
    }
    if (i % 10 === 8) t.ledger.acknowledge(Math.max(0, t.ledger.headSeq() - 3));
  }
} else {
  for (const token of rest) {
    const [data = '', quantity] = token.split(':');
    const line = quantity === undefined ? { data } : { data, quantity: Number(quantity) };
    const outcome = t.checkout.completeSale({ lines: [line] });
    out(outcome.ok ? `SOLD ${token}` : `REFUSED ${token}`);
  }
  t.close();
  process.exit(0);
}
