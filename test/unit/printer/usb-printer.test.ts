import { afterEach, describe, expect, it } from 'vitest';
import { createPrinter } from '../../../drivers/printer/factory.js';
import { FakeUsbPrinterDevice } from '../../../drivers/printer/fake-usb-device.js';
import type { PrinterStatus } from '../../../drivers/printer/types.js';
import { UsbPrinter } from '../../../drivers/printer/usb-printer.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';

describe('UsbPrinter through an injected WebUSB fake endpoint', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('claims the printer-class interface, sends bulk OUT and reads DLE EOT answers on bulk IN', async () => {
    const fake = new FakeUsbPrinterDevice();
    const printer = new UsbPrinter('usb-1', { findDevice: async () => fake, pollIntervalMs: 30 });
    stops.push(() => printer.stop());
    await printer.start();
    expect(fake.claimed.has(0)).toBe(true);
    expect(await printer.status()).toMatchObject({ online: true, paperOut: false });
    const bytes = renderReceipt(
      { blocks: [{ type: 'text', text: '正品' }, { type: 'cut' }] },
      getProfile('xprinter-58'),
    );
    await printer.write(bytes);
    expect(Buffer.from(fake.sentBytes).includes(Buffer.from(bytes))).toBe(true);
    expect(fake.device.receipts[0]!.lines).toEqual(['正品']);
    // The status query itself went out on bulk OUT: DLE EOT 1, 2, 4.
    expect(Buffer.from(fake.sentBytes).toString('hex')).toContain('100401100402100404');
  });

  it('emits status on change: cover open, then paper near end', async () => {
    const fake = new FakeUsbPrinterDevice();
    const printer = createPrinter(
      { transport: 'usb', pollIntervalMs: 50 },
      { findUsbDevice: async () => fake },
    );
    stops.push(() => printer.stop());
    const seen: PrinterStatus[] = [];
    printer.on('status', (s) => seen.push(s));
    await printer.start();
    fake.device.set({ coverOpen: true });
    await expect.poll(() => seen.at(-1)?.coverOpen, { timeout: 3000 }).toBe(true);
    fake.device.set({ coverOpen: false, paperNearEnd: true });
    await expect.poll(() => seen.at(-1)?.paperNearEnd, { timeout: 3000 }).toBe(true);
    expect(seen.at(-1)).toMatchObject({ online: true, coverOpen: false, detail: 'Paper near end' });
  });

  it('reports an unplugged device as offline and reconnects when it is back', async () => {
    const fake = new FakeUsbPrinterDevice();
    let present = true;
    const printer = new UsbPrinter('usb-2', {
      findDevice: async () => (present ? fake : undefined),
      pollIntervalMs: 30,
    });
    stops.push(() => printer.stop());
    await printer.start();
    present = false;
    fake.unplug();
    await expect.poll(() => printer.currentStatus?.online, { timeout: 3000 }).toBe(false);
    present = true;
    await expect.poll(() => printer.currentStatus?.online, { timeout: 3000 }).toBe(true);
  });

  it('says clearly when no USB printer is present', async () => {
    const printer = new UsbPrinter('usb-3', { findDevice: async () => undefined });
    expect(await printer.status()).toMatchObject({
      online: false,
      detail: 'Unreachable: No USB printer found (interface class 7, or vendor class 255 on a known printer)',
    });
  });
});
