import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPrinter } from '../../../drivers/printer/serial-printer.js';
import { SimulatedPrinterDevice } from '../../../drivers/printer/simulated-device.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A socat PTY pair: `host` for the driver, `device` for the simulated printer. */
async function ptyPair(dir: string): Promise<{ host: string; device: string; socat: ChildProcess }> {
  const host = join(dir, 'host');
  const device = join(dir, 'device');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${device}`], {
    stdio: 'ignore',
  });
  await expect.poll(() => existsSync(host) && existsSync(device), { timeout: 5000, interval: 20 }).toBe(true);
  return { host, device, socat };
}

describe.skipIf(!hasSystemTool('socat'))('SerialPrinter over a socat PTY', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('prints Chinese text and a QR code, and answers DLE EOT paper out', async () => {
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    const pair = await ptyPair(temp.dir);
    cleanups.push(() => {
      pair.socat.kill();
    });
    // The printer end: a serial port feeding the simulated mechanism.
    const port = new SerialPort({ path: pair.device, baudRate: 19_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    cleanups.push(() => new Promise<void>((resolve) => port.close(() => resolve())));
    const device = new SimulatedPrinterDevice((bytes) => port.write(Buffer.from(bytes)));
    port.on('data', (data: Buffer) => device.receive(data));

    const printer = new SerialPrinter('serial-1', { path: pair.host, baudRate: 19_200, pollIntervalMs: 50 });
    cleanups.push(() => printer.stop());
    await printer.start();
    expect(await printer.status()).toMatchObject({ online: true, paperOut: false });
    const bytes = renderReceipt(
      {
        blocks: [
          { type: 'text', text: '正品 OK', bold: true },
          { type: 'qr', data: 'VT-SERIAL' },
          { type: 'cut' },
        ],
      },
      getProfile('xprinter-58'),
    );
    await printer.write(bytes);
    const [receipt] = await device.waitForReceipts(1);
    expect(receipt).toMatchObject({
      lines: ['正品 OK'],
      boldLines: ['正品 OK'],
      qrCodes: ['VT-SERIAL'],
      cut: true,
    });
    device.set({ paperOut: true });
    expect(await printer.status()).toMatchObject({ paperOut: true, detail: 'Paper out' });
  });

  it('reports a missing serial device as unreachable without throwing', async () => {
    const printer = new SerialPrinter('serial-2', { path: '/dev/does-not-exist-vt' });
    expect(await printer.status()).toMatchObject({ online: false });
    expect((await printer.status()).detail).toMatch(/Cannot open \/dev\/does-not-exist-vt/);
  });
});
