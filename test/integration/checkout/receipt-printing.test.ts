import { afterEach, describe, expect, it } from 'vitest';
import { FakePrinter } from '../../../drivers/printer/fake-printer.js';
import { checkoutServices } from '../../../terminal/lanes/checkout-services.js';
import type { ReceiptPrintedPayload } from '../../../terminal/ledger/index.js';
import { silentLogger } from '../../../terminal/logger.js';
import { PrintQueue } from '../../../terminal/printing/print-queue.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal } from './checkout-fixture.js';

describe('checkout receipts through the durable print queue', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('prints lines, code tails, marks and a QR with the sale id after the commit, then records receipt_printed', async () => {
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    const t = openTerminal({ dir: temp.dir });
    cleanups.push(t.close);
    const printer = new FakePrinter('receipt', { pollIntervalMs: 20 });
    const queue = new PrintQueue(
      { db: t.db, printer, profile: getProfile('xprinter-80'), logger: silentLogger() },
      { retryDelayMs: 20 },
    );
    cleanups.push(() => queue.stop());
    await queue.start();
    const { checkout } = checkoutServices(
      { ledger: t.ledger, verifier: t.verifier, logger: silentLogger(), config: { terminal: {} } },
      { printQueue: queue, storeName: 'Store A' },
    );
    const recorded = new Promise<void>((resolve) => {
      queue.on('job', (job) => {
        if (job.state === 'done') setImmediate(resolve);
      });
    });
    const outcome = checkout.completeSale({ lines: [{ data: code(1) }, { data: code(2) }] });
    if (!outcome.ok) throw new Error(outcome.message);
    await recorded;
    const [receipt] = printer.device.receipts;
    expect(receipt?.qrCodes).toEqual([outcome.sale.saleId]);
    const text = receipt!.lines.join('\n');
    expect(text).toContain('Store A');
    expect(text).toContain(`...${code(2).slice(-6)}`);
    expect(text).toContain('[OK]');
    expect(receipt?.cut).toBe(true);
    const printed = t.ledger.records(0, 100).filter((r) => r.type === 'receipt_printed');
    expect(printed.map((r) => (r.payload as ReceiptPrintedPayload).saleId)).toEqual([outcome.sale.saleId]);
    // The receipt was queued only after the sale and its write-offs were committed.
    expect(printed[0]!.seq).toBeGreaterThan(outcome.sale.writeOffs.at(-1)!.seq);
  });
});
