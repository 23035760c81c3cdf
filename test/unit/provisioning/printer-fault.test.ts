import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeNetworkPrinter } from '../../../drivers/printer/index.js';
import { encodeStatus, parseStatus, printerFault } from '../../../drivers/printer/status.js';
import type { ReceiptPrinter } from '../../../drivers/printer/types.js';
import { printDocument } from '../../../provisioning/devices.js';
import { testSlip } from '../../../provisioning/slips.js';
import { VeritermError } from '../../../terminal/errors.js';
import { watchPrinter } from '../../../terminal/health/feeders.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import type { HealthItem } from '../../../terminal/health/types.js';

const state = { coverOpen: false, paperOut: false, paperNearEnd: false, error: false };
const statusOf = (s: Partial<typeof state>) => {
  const [printer, cause, paper] = encodeStatus({ ...state, ...s });
  return parseStatus(printer, cause, paper);
};

describe('printer faults: paper out is paper out', () => {
  test('a printer out of paper also says offline (DLE EOT 1 bit 3); the fault is paper_out', () => {
    const status = statusOf({ paperOut: true });
    expect(status.online).toBe(false);
    expect(printerFault(status)).toBe('paper_out');
    expect(printerFault(statusOf({ coverOpen: true }))).toBe('cover_open');
    expect(printerFault(statusOf({ error: true }))).toBe('error');
    expect(printerFault(statusOf({}))).toBeUndefined();
    expect(printerFault({ ...statusOf({}), online: false })).toBe('offline');
  });

  test("the terminal's health tile says paper out too (not offline)", () => {
    const health = new HealthModel();
    const items: HealthItem[] = [];
    health.on('change', (e) => items.push(e));
    const printer = Object.assign(new EventEmitter(), { id: 'receipt' }) as unknown as ReceiptPrinter;
    watchPrinter(printer, health);
    printer.emit('status', statusOf({ paperOut: true }));
    printer.emit('status', statusOf({ coverOpen: true }));
    expect(items.slice(-2).map((i) => i.code)).toEqual(['printer.paper_out', 'printer.cover_open']);
  });

  describe("provisioning's test print on a loopback printer answering DLE EOT", () => {
    const printer = new FakeNetworkPrinter();
    beforeAll(() => printer.start());
    afterAll(() => printer.stop());
    const options = () => ({ transport: 'network', host: '127.0.0.1', port: printer.port });
    const slip = testSlip({ storeId: 'S', terminalId: 'T', at: new Date() });

    test('out of paper: "load a roll", not "check power, cable or network"', async () => {
      printer.setState({ paperOut: true });
      const error = await printDocument(options(), slip).catch((e: unknown) => e);
      printer.setState({ paperOut: false });
      expect(error).toBeInstanceOf(VeritermError);
      expect((error as VeritermError).code).toBe('printer_paper');
      expect((error as Error).message).toContain('is out of paper: load a roll');
      expect((error as Error).message).not.toContain('check power');
    });

    test('cover open, then a good print', async () => {
      printer.setState({ coverOpen: true });
      const error = await printDocument(options(), slip).catch((e: unknown) => e);
      printer.setState({ coverOpen: false });
      expect((error as VeritermError).code).toBe('printer_cover');
      const before = printer.receipts.length;
      await printDocument(options(), slip);
      await printer.waitForReceipts(before + 1);
      expect(printer.receipts.at(-1)!.qrCodes).toEqual(['veriterm:S/T']);
    });
  });
});
