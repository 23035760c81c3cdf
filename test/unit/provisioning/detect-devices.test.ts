import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { detectDevices } from '../../../provisioning/devices.js';
import { freePort } from '../../helpers/free-port.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { PtyScanner } from '../../integration/scanner/pty-pair.js';

const tmp = makeTempDir('vt-detect-');
afterAll(() => tmp.cleanup());

describe('detectDevices', () => {
  test('stable serial links, discovered HID scanners and USB printers, and answering network printers', async () => {
    const byId = join(tmp.dir, 'by-id');
    mkdirSync(byId);
    writeFileSync(join(byId, 'usb-Honeywell_1900-if00'), '');
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const closed = await freePort();
    try {
      const found = await detectDevices({
        serialDirs: [byId, join(tmp.dir, 'missing')],
        printerHosts: [
          { host: '127.0.0.1', port },
          { host: '127.0.0.1', port: closed },
        ],
        discover: async () => ({
          serial: [
            { kind: 'serial', path: join(byId, 'usb-Honeywell_1900-if00') },
            { kind: 'serial', path: '/dev/ttyUSB3', role: 'printer', vendor: 'Epson' },
          ],
          hid: [
            { kind: 'hid', vendorId: 0x0c2e, productId: 0x0b61, scannerType: 'hid-pos', vendor: 'Honeywell' },
            { kind: 'hid', vendorId: 0x046d, productId: 0xc31c },
          ],
          usbPrinters: [{ kind: 'usb-printer', vendorId: 0x04b8, productId: 0x0202, serialNumber: 'X1' }],
          notes: [],
        }),
      });
      expect(found.map((d) => d.options)).toEqual([
        { type: 'serial', path: join(byId, 'usb-Honeywell_1900-if00') },
        { transport: 'serial', path: '/dev/ttyUSB3' },
        { type: 'hid-pos', vendorId: 0x0c2e, productId: 0x0b61 },
        { transport: 'usb', vendorId: 0x04b8, productId: 0x0202, serialNumber: 'X1' },
        { transport: 'network', host: '127.0.0.1', port },
      ]);
      expect(found[2]!.label).toBe('hid-pos scanner Honeywell');
    } finally {
      server.close();
    }
  });

  test('a failing discovery does not stop detection', async () => {
    const found = await detectDevices({
      serialDirs: [],
      discover: async () => Promise.reject(new Error('no usb bus')),
    });
    expect(found).toEqual([]);
  });

  test('built-in ttyS ports with no UART behind them are not offered; one with a UART is', async () => {
    // sysfs `type` 0 is PORT_UNKNOWN (no UART); 4 is a 16550A.
    const sys = join(tmp.dir, 'sys-class-tty');
    for (const [name, type] of [
      ['ttyS0', '4'],
      ['ttyS1', '0'],
    ] as const) {
      mkdirSync(join(sys, name), { recursive: true });
      writeFileSync(join(sys, name, 'type'), `${type}\n`);
    }
    const found = await detectDevices({
      serialDirs: [],
      sysClassTty: sys,
      discover: async () => ({
        serial: [
          { kind: 'serial', path: '/dev/ttyS0' },
          { kind: 'serial', path: '/dev/ttyS1' },
          { kind: 'serial', path: '/dev/ttyS2' },
        ],
        hid: [],
        usbPrinters: [],
        notes: [],
      }),
    });
    expect(found.map((d) => d.options.path)).toEqual(['/dev/ttyS0']);
  });

  test.skipIf(!hasSystemTool('socat'))(
    'a port another process holds open is marked unavailable; the PTY provider (socat) does not count',
    async () => {
      const scanner = await PtyScanner.create(join(tmp.dir, 'dev'));
      const byId = join(tmp.dir, 'by-id-held');
      mkdirSync(byId);
      symlinkSync(readlinkSync(scanner.stablePath), join(byId, 'usb-Scanner-if00'));
      const detect = () =>
        detectDevices({
          serialDirs: [byId],
          discover: async () => ({ serial: [], hid: [], usbPrinters: [], notes: [] }),
        });
      try {
        expect((await detect())[0]).toMatchObject({ kind: 'scanner' });
        expect((await detect())[0]!.unavailable).toBeUndefined();
        // Another process (standing in for a second terminal) opens the port and keeps it.
        const fd = openSync(scanner.stablePath, 'r+');
        const holder = spawn('sleep', ['60'], { stdio: [fd, 'ignore', 'ignore'] });
        closeSync(fd);
        try {
          await new Promise((r) => holder.once('spawn', r));
          const held = (await detect())[0]!;
          expect(held.unavailable).toBe(`in use by process ${holder.pid} (sleep)`);
        } finally {
          holder.kill();
        }
      } finally {
        await scanner.dispose();
      }
    },
  );
});
