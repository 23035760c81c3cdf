import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../../cli/terminal/devices.js';
import { discoverDevices } from '../../../drivers/discovery.js';
import { fingerprintOf } from '../../../drivers/fingerprints.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => out };
}

const deps = {
  listSerial: async () => [
    {
      path: '/dev/ttyACM0',
      pnpId: 'usb-Honeywell_Imaging___Mobility_1900_21101B2C4F-if00',
      vendorId: '0c2e',
      productId: '0b6a',
      serialNumber: '21101B2C4F',
      manufacturer: 'Honeywell',
    },
    { path: '/dev/ttyS0' },
  ],
  listHid: async () => [
    {
      vendorId: 0x05e0,
      productId: 0x1200,
      path: '/dev/hidraw0',
      usagePage: 0x8c,
      usage: 0x02,
      product: 'Symbol Bar Code Scanner',
    },
    { vendorId: 0x0c2e, productId: 0x0b01, path: '/dev/hidraw1', usagePage: 0x01, usage: 0x06 },
    {
      vendorId: 0x046d,
      productId: 0xc31c,
      path: '/dev/hidraw2',
      usagePage: 0x01,
      usage: 0x06,
      product: 'Office keyboard',
    },
  ],
  listUsb: async () => [
    { vendorId: 0x04b8, productId: 0x0202, interfaceClasses: [7] },
    { vendorId: 0x1234, productId: 0x0001, interfaceClasses: [7] },
    { vendorId: 0x046d, productId: 0xc31c, interfaceClasses: [3] },
  ],
};

describe('discoverDevices', () => {
  it('marks scanner and printer vendors and suggests the scanner source type', async () => {
    const found = await discoverDevices(deps);
    expect(found.serial[0]).toMatchObject({
      path: '/dev/serial/by-id/usb-Honeywell_Imaging___Mobility_1900_21101B2C4F-if00',
      vendorId: 0x0c2e,
      role: 'scanner',
      scannerType: 'serial',
    });
    expect(found.serial[1]).toMatchObject({ path: '/dev/ttyS0', role: undefined });
    expect(found.hid.map((d) => [d.path, d.role, d.scannerType])).toEqual([
      ['/dev/hidraw0', 'scanner', 'hid-pos'],
      ['/dev/hidraw1', 'scanner', 'keyboard-wedge'],
      ['/dev/hidraw2', undefined, undefined],
    ]);
    expect(found.usbPrinters.map((d) => [d.vendorId, d.vendor])).toEqual([
      [0x04b8, 'Epson'],
      [0x1234, undefined],
    ]);
  });

  it('turns a bus that cannot be listed into a note instead of failing', async () => {
    const found = await discoverDevices({
      ...deps,
      listUsb: async () => {
        throw new Error('/sys/bus/usb/devices/ not found');
      },
    });
    expect(found.usbPrinters).toEqual([]);
    expect(found.notes).toEqual(['USB devices: /sys/bus/usb/devices/ not found']);
  });

  it('prefers product-specific fingerprints on shared vendor ids', () => {
    expect(fingerprintOf(0x0483, 0x5743)?.vendor).toBe('Xprinter');
    expect(fingerprintOf(0x0483, 0x3748)).toBeUndefined();
    expect(fingerprintOf(0x1eab, 0x1234)?.role).toBe('scanner');
  });
});

describe('veriterm devices', () => {
  it('prints each bus and the known devices', async () => {
    const t = io();
    expect(await run([], t.io, deps)).toBe(0);
    expect(t.out()).toContain('0c2e:0b6a');
    expect(t.out()).toContain("[Honeywell (Metrologic) scanner]  → scanner type 'serial'");
    expect(t.out()).toContain('usage page 0x8c/0x2');
    expect(t.out()).toContain('Known scanners/printers: 5');
  });

  it('says nothing was found on a machine without USB, and --json uses the wire format', async () => {
    const none = {
      listSerial: async () => [],
      listHid: async () => [],
      listUsb: async () => {
        throw new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
      },
    };
    const t = io();
    expect(await run([], t.io, none)).toBe(0);
    expect(t.out()).toContain('No known scanner or printer found.');
    expect(t.out()).toContain('note: could not list USB devices');
    const j = io();
    expect(await run(['--json'], j.io, none)).toBe(0);
    expect(JSON.parse(j.out())).toMatchObject({
      status: 'ok',
      data: { serial: [], hid: [], usbPrinters: [] },
    });
  });

  it('runs against the real libraries of this machine', async () => {
    const t = io();
    expect(await run(['--json'], t.io)).toBe(0);
    const parsed = JSON.parse(t.out()) as { status: string; data: { serial: unknown[]; notes: string[] } };
    expect(parsed.status).toBe('ok');
    expect(Array.isArray(parsed.data.serial)).toBe(true);
  });
});
