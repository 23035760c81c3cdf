import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeNetworkPrinter } from '../../drivers/printer/fake-network-printer.js';
import { FakePrinter } from '../../drivers/printer/fake-printer.js';
import { FakeUsbPrinterDevice } from '../../drivers/printer/fake-usb-device.js';
import { FilePrinter } from '../../drivers/printer/file-printer.js';
import { NetworkPrinter } from '../../drivers/printer/network-printer.js';
import { SerialPrinter } from '../../drivers/printer/serial-printer.js';
import { SimulatedPrinterDevice } from '../../drivers/printer/simulated-device.js';
import type { PrinterStatus, ReceiptPrinter } from '../../drivers/printer/types.js';
import { UsbPrinter } from '../../drivers/printer/usb-printer.js';
import { getProfile } from '../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../terminal/receipts/render-escpos.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * One contract for every `ReceiptPrinter` (drivers/printer/types.ts), run against each transport
 * the way this project runs its scanner contract and MQTT.js runs `abstract_store`: raw TCP (a
 * loopback printer), serial (a socat PTY pair), USB (a WebUSB device faked below the `usb`
 * library), a file, and the in-memory fake. Each ends at a SimulatedPrinterDevice that decodes
 * ESC/POS as a printer would, so "printed" means a printer would have printed it.
 */
interface Subject {
  printer: ReceiptPrinter;
  /** What the printer end received, decoded (for the file: read back from the file). */
  receipts(count: number): Promise<{ lines: string[]; cut: boolean }[]>;
  /** Scripts a fault on the printer end; undefined where the transport has no back-channel. */
  setFault?(state: { paperOut?: boolean; coverOpen?: boolean }): void;
  close(): Promise<void>;
}

const POLL_MS = 40;
const profile = getProfile('xprinter-58');
const receipt = (text: string) =>
  renderReceipt({ blocks: [{ type: 'text', text }, { type: 'cut' }] }, profile);

const IMPLEMENTATIONS: [string, () => Promise<Subject>][] = [
  [
    'NetworkPrinter (raw TCP 9100, loopback printer)',
    async () => {
      const fake = new FakeNetworkPrinter();
      await fake.start();
      const printer = new NetworkPrinter('net', {
        host: '127.0.0.1',
        port: fake.port,
        pollIntervalMs: POLL_MS,
      });
      return {
        printer,
        receipts: (n) => fake.waitForReceipts(n),
        setFault: (state) => fake.setState(state),
        close: async () => {
          await printer.stop();
          await fake.stop();
        },
      };
    },
  ],
  [
    'SerialPrinter (socat PTY pair)',
    async () => {
      const temp = makeTempDir();
      const host = join(temp.dir, 'host');
      const end = join(temp.dir, 'device');
      const socat: ChildProcess = spawn(
        'socat',
        [`pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${end}`],
        { stdio: 'ignore' },
      );
      await expect
        .poll(() => existsSync(host) && existsSync(end), { timeout: 5000, interval: 20 })
        .toBe(true);
      const port = new SerialPort({ path: end, baudRate: 19_200, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      const device = new SimulatedPrinterDevice((bytes) => port.write(Buffer.from(bytes)));
      port.on('data', (data: Buffer) => device.receive(data));
      const printer = new SerialPrinter('serial', { path: host, baudRate: 19_200, pollIntervalMs: POLL_MS });
      return {
        printer,
        receipts: (n) => device.waitForReceipts(n),
        setFault: (state) => device.set(state),
        close: async () => {
          await printer.stop();
          await new Promise<void>((resolve) => port.close(() => resolve()));
          socat.kill();
          temp.cleanup();
        },
      };
    },
  ],
  [
    'UsbPrinter (WebUSB device faked below the usb library)',
    async () => {
      const fake = new FakeUsbPrinterDevice();
      const printer = new UsbPrinter('usb', { findDevice: async () => fake, pollIntervalMs: POLL_MS });
      return {
        printer,
        receipts: (n) => fake.device.waitForReceipts(n),
        setFault: (state) => fake.device.set(state),
        close: () => printer.stop(),
      };
    },
  ],
  [
    'FilePrinter (append to a file or /dev/usb/lp0)',
    async () => {
      const temp = makeTempDir();
      const path = join(temp.dir, 'lp0');
      const printer = new FilePrinter('file', { path, pollIntervalMs: POLL_MS });
      return {
        printer,
        // No back-channel: read the file back through a printer's decoder.
        receipts: async (n) => {
          let got: { lines: string[]; cut: boolean }[] = [];
          await expect
            .poll(
              async () => {
                const device = new SimulatedPrinterDevice();
                device.receive(await readFile(path).catch(() => Buffer.alloc(0)));
                got = device.receipts;
                return got.length;
              },
              { timeout: 5000, interval: 20 },
            )
            .toBeGreaterThanOrEqual(n);
          return got.slice(0, n);
        },
        close: async () => {
          await printer.stop();
          temp.cleanup();
        },
      };
    },
  ],
  [
    'FakePrinter (in memory, the demo)',
    async () => {
      const printer = new FakePrinter('fake', { pollIntervalMs: POLL_MS });
      return {
        printer,
        receipts: (n) => printer.device.waitForReceipts(n),
        setFault: (state) => printer.setState(state),
        close: () => printer.stop(),
      };
    },
  ],
];

const needsSocat = (name: string) => name.startsWith('SerialPrinter') && !hasSystemTool('socat');

describe.each(IMPLEMENTATIONS)('ReceiptPrinter contract: %s', (name, make) => {
  let subject: Subject;
  beforeEach(async (context) => {
    if (needsSocat(name)) context.skip();
    subject = await make();
  });
  afterEach(async () => {
    await subject?.close();
  });

  it('starts and stops idempotently, and reports itself ready', async () => {
    await subject.printer.start();
    await subject.printer.start();
    expect(await subject.printer.status()).toMatchObject({ online: true, paperOut: false, coverOpen: false });
    await subject.printer.stop();
    await subject.printer.stop();
  });

  it('prints each write whole and in order, even when writes are issued at once', async () => {
    await subject.printer.start();
    const texts = ['正品 1', 'Receipt 2', '第三张 3', 'Receipt 4', '5'];
    await Promise.all(texts.map((t) => subject.printer.write(receipt(t))));
    const printed = await subject.receipts(texts.length);
    expect(printed.map((r) => r.lines)).toEqual(texts.map((t) => [t]));
    expect(printed.every((r) => r.cut)).toBe(true);
  });

  it('refuses a write whose signal is already aborted, and sends none of it', async () => {
    await subject.printer.start();
    const controller = new AbortController();
    controller.abort();
    await expect(subject.printer.write(receipt('never'), { signal: controller.signal })).rejects.toThrow();
    await subject.printer.write(receipt('after'));
    expect((await subject.receipts(1)).map((r) => r.lines)).toEqual([['after']]);
  });

  it('reports paper out and cover open from the printer, and emits status only on change', async () => {
    if (!subject.setFault) {
      // No back-channel (file): the status can only say whether the link opens.
      expect(await subject.printer.status()).toMatchObject({ online: true });
      return;
    }
    const seen: PrinterStatus[] = [];
    subject.printer.on('status', (s) => seen.push(s));
    await subject.printer.start();
    subject.setFault({ paperOut: true });
    await expect.poll(() => seen.at(-1)?.paperOut, { timeout: 5000 }).toBe(true);
    subject.setFault({ paperOut: false, coverOpen: true });
    await expect.poll(() => seen.at(-1)?.coverOpen, { timeout: 5000 }).toBe(true);
    subject.setFault({ coverOpen: false });
    await expect.poll(() => seen.at(-1)?.coverOpen, { timeout: 5000 }).toBe(false);
    // Polls that find nothing new do not repeat the last status.
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toEqual(seen[i - 1]);
  });
});
