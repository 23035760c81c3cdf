import { afterEach, describe, expect, it } from 'vitest';
import { FakeNetworkPrinter } from '../../../drivers/printer/fake-network-printer.js';
import { NetworkPrinter } from '../../../drivers/printer/network-printer.js';
import type { PrinterStatus } from '../../../drivers/printer/types.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';
import { freePort } from '../../helpers/free-port.js';

function nextStatus(
  printer: NetworkPrinter,
  predicate: (s: PrinterStatus) => boolean,
): Promise<PrinterStatus> {
  return new Promise((resolve) => {
    const on = (s: PrinterStatus) => {
      if (!predicate(s)) return;
      printer.off('status', on);
      resolve(s);
    };
    printer.on('status', on);
  });
}

describe('NetworkPrinter against the fake loopback printer', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const fake = new FakeNetworkPrinter();
    await fake.start();
    cleanups.push(() => fake.stop());
    const printer = new NetworkPrinter('lane-1', { host: '127.0.0.1', port: fake.port, pollIntervalMs: 50 });
    cleanups.push(() => printer.stop());
    return { fake, printer };
  }

  it('prints a receipt whose text, QR and cut the fake decodes', async () => {
    const { fake, printer } = await setup();
    await printer.start();
    const bytes = renderReceipt(
      { blocks: [{ type: 'text', text: '正品 verified' }, { type: 'qr', data: 'VT-123' }, { type: 'cut' }] },
      getProfile('xprinter-80'),
    );
    await printer.write(bytes);
    const [receipt] = await fake.waitForReceipts(1);
    expect(receipt!.lines).toEqual(['正品 verified']);
    expect(receipt!.qrCodes).toEqual(['VT-123']);
    expect(receipt!.cut).toBe(true);
  });

  it('reports paper out and paper back through DLE EOT as status events', async () => {
    const { fake, printer } = await setup();
    await printer.start();
    expect(await printer.status()).toMatchObject({ online: true, paperOut: false });
    const out = nextStatus(printer, (s) => s.paperOut);
    fake.setState({ paperOut: true });
    expect(await out).toMatchObject({ paperOut: true, online: false, detail: 'Paper out' });
    const back = nextStatus(printer, (s) => !s.paperOut);
    fake.setState({ paperOut: false });
    expect(await back).toMatchObject({ online: true, paperOut: false });
  });

  it('starts although the printer is unreachable, and connects when it appears', async () => {
    const port = await freePort();
    const printer = new NetworkPrinter('lane-2', { host: '127.0.0.1', port, pollIntervalMs: 50 });
    cleanups.push(() => printer.stop());
    const offline = nextStatus(printer, (s) => !s.online);
    await printer.start();
    expect((await offline).detail).toMatch(/Unreachable/);
    const online = nextStatus(printer, (s) => s.online);
    const fake = new FakeNetworkPrinter({ port });
    await fake.start();
    cleanups.push(() => fake.stop());
    await online;
    expect(fake.connections).toBe(1);
  });

  it('reconnects after the connection drops and prints again', async () => {
    const { fake, printer } = await setup();
    await printer.start();
    await printer.write(Uint8Array.of(0x41, 0x0a, 0x1d, 0x56, 0x00));
    // A resolved write only means the kernel took the bytes; wait until the printer has them.
    await fake.waitForReceipts(1);
    const lost = nextStatus(printer, (s) => !s.online);
    fake.dropConnections();
    expect((await lost).detail).toMatch(/Connection lost|Unreachable/);
    await nextStatus(printer, (s) => s.online);
    await printer.write(Uint8Array.of(0x42, 0x0a, 0x1d, 0x56, 0x00));
    const receipts = await fake.waitForReceipts(2);
    expect(receipts.map((r) => r.lines)).toEqual([['A'], ['B']]);
  });

  it('treats a printer that stops answering DLE EOT as unreachable, and recovers', async () => {
    const { fake, printer } = await setup();
    await printer.start();
    fake.setAnswering(false);
    const status = await printer.status({ timeoutMs: 100 });
    expect(status).toMatchObject({ online: false });
    expect(status.detail).toMatch(/did not answer within 100 ms/);
    fake.setAnswering(true);
    expect(await printer.status()).toMatchObject({ online: true });
  });
});
