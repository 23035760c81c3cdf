import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { detectDevices } from '../../../provisioning/devices.js';
import { freePort } from '../../helpers/free-port.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

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
});
