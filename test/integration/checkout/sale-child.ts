/**
 * A checkout lane in its own process, for the crash and concurrency tests. Loads, prints READY,
 * then waits for one command line on stdin (so the tests can start it ahead of time). Prints one
 * line per outcome to stdout (a pipe: synchronous on Linux, so a printed ACK means the commit
 * had returned).
 *
 *   crash DIR START  sells 3-line sales forever from serial START; every 7th sale also tries a code
 *                    sold before (must be refused); acknowledges the outbox now and then.
 *   race DIR CODE…   tries to sell each code alone, in order, then exits.
 */
import { createInterface } from 'node:readline';
import { code, openTerminal } from './checkout-fixture.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
out('READY');
const [mode, dir, ...rest] = String((await input.next()).value ?? '').split(' ');
if (!dir) throw new Error('expected "crash DIR START" or "race DIR CODE…" on stdin');
const t = openTerminal({ dir });

if (mode === 'crash') {
  let serial = Number(rest[0]);
  for (let i = 0; ; i++) {
    const codes = [code(serial++), code(serial++), code(serial++)];
    if (i % 7 === 6) codes.push(code(serial - 9));
    const outcome = t.checkout.completeSale({
      externalRef: `${rest[0]}-${i}`,
      lines: codes.map((data) => ({ data })),
    });
    if (outcome.ok) out(`ACK ${outcome.sale.saleId} ${outcome.sale.lines.map((l) => l.codeKey).join(',')}`);
    else out(`REFUSED ${i}`);
    if (i % 5 === 4) t.ledger.acknowledge(Math.max(0, t.ledger.headSeq() - 3));
  }
} else {
  for (const data of rest) {
    const outcome = t.checkout.completeSale({ lines: [{ data }] });
    out(outcome.ok ? `SOLD ${data}` : `REFUSED ${data}`);
  }
  t.close();
  process.exit(0);
}
