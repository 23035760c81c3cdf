import { describe, expect, it } from 'vitest';
import { run } from '../../../cli/terminal/devices.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../../drivers/scanner/testing/fake-hid.js';
import { capturedIo } from '../../helpers/captured-io.js';
import { loadFixtures, type ScannerFixture } from './device-fixtures.js';
import { until } from './scanner-contract.js';

const io = capturedIo;

const fixture = (file: string) => loadFixtures<ScannerFixture>('scanner').find((f) => f.file === file)!;

/** Runs `veriterm devices --listen` against one fake device and plays a fixture once it listens. */
async function listenTo(file: string, args: string[] = []) {
  const f = fixture(file);
  const bus = new FakeHidBus();
  const clock = new FakeClock(1_700_000_000_000);
  const device = new FakeHidDevice(
    {
      vendorId: f.usb.vendorId ? Number.parseInt(f.usb.vendorId, 16) : 0x1a2b,
      productId: f.usb.productId ? Number.parseInt(f.usb.productId, 16) : 0x3c4d,
      usagePage: Number.parseInt(f.usb.usagePage, 16),
      usage: Number.parseInt(f.usb.usage, 16),
      product: f.device,
    },
    f.descriptor ? Buffer.from(f.descriptor, 'hex') : undefined,
  );
  bus.plug(device);
  const t = io();
  const done = run(
    [
      '--listen',
      '--timeout',
      '10',
      '--device',
      device.info.vendorId.toString(16).padStart(4, '0') +
        ':' +
        device.info.productId.toString(16).padStart(4, '0'),
      ...args,
    ],
    t.io,
    {
      hid: bus,
      now: clock.now,
      quietMs: 100,
      listSerial: async () => [],
      listUsb: async () => [],
    },
  );
  await until(
    () => [...device.handles].some((h) => h.listenerCount('data') > 0),
    'the listener to open the device',
  );
  for (const r of f.reports) await device.replay([Buffer.from(r.hex, 'hex')], clock, r.gapMs);
  const code = await done;
  return { code, out: t.out(), err: t.err(), device };
}

describe('veriterm devices --listen', () => {
  it('shows the raw keys of a Datalogic scanning GS as Down and suggests keyboard.gs', async () => {
    const { code, out } = await listenTo('datalogic-gryphon-gd4400-keyboard.json');
    expect(code).toBe(0);
    expect(out).toContain('raw reports (');
    expect(out).toMatch(/keys: 0 1 0 9 .* Down 1 0 Shift\+L/);
    expect(out).toContain('error unmapped_key');
    expect(out).toContain("set keyboard.gs = 'down'");
  });

  it('shows what an AZERTY scanner sends and suggests the layout', async () => {
    const { out } = await listenTo('generic-azerty-keyboard.json');
    expect(out).toContain('AltGr+');
    expect(out).toContain("keyboard.layout = 'fr'");
  });

  it('shows a Honeywell HID POS scan decoded, with the quirk it applied, and no suggestion', async () => {
    const { code, out, device } = await listenTo('honeywell-voyager-1602g-hidpos.json');
    expect(code).toBe(0);
    expect(out).toContain('quirks applied: honeywell-output-redirection');
    expect(out).toContain('REVINF<ACK>.  (symbology ]Z6)');
    expect(out).toContain('suggestions: none');
    expect(device.featureReports.map((r) => r.toString('hex'))).toEqual(['fe01']);
  });

  it('suggests fullReportMayEndChain for JieLi firmware that ends on a full report', async () => {
    const { out } = await listenTo('jieli-generic-hidpos.json');
    expect(out).toContain('error incomplete');
    expect(out).toContain('fullReportMayEndChain: true');
  });

  it('prints JSON with --json and says clearly when no scanner is there', async () => {
    const t = io();
    const code = await run(['--listen', '--json'], t.io, {
      hid: new FakeHidBus(),
      listSerial: async () => [],
      listUsb: async () => [],
    });
    expect(code).toBe(1);
    expect(JSON.parse(t.out())).toMatchObject({ status: 'error', error: { code: 'scanner_not_found' } });
    await expect(
      run(['--listen', '--device', 'honeywell'], io().io, { hid: new FakeHidBus() }),
    ).rejects.toThrow(/--device expects VID:PID/);
  });
});

describe('veriterm devices names the quirks and printer protocol of each device', () => {
  it('lists the Honeywell redirection quirk, the Newland layout and a refused Star printer', async () => {
    const t = io();
    await run([], t.io, {
      listSerial: async () => [],
      listHid: async () => [
        { vendorId: 0x0c2e, productId: 0x0b8f, path: '/dev/hidraw3', usagePage: 0x8c, usage: 0x02 },
        { vendorId: 0x1eab, productId: 0x1d10, path: '/dev/hidraw4', usagePage: 0x8c, usage: 0x02 },
      ],
      listUsb: async () => [
        { vendorId: 0x0519, productId: 0x0003, interfaceClasses: [7] },
        { vendorId: 0x04b8, productId: 0x0e03, interfaceClasses: [255] },
        { vendorId: 0x1fc9, productId: 0x2016, interfaceClasses: [7] },
      ],
    });
    const out = t.out();
    expect(out).toContain('quirk honeywell-output-redirection: sets feature report 0xFE');
    expect(out).toContain('quirk newland-data-at-byte-2');
    expect(out).toMatch(/0519:0003.*speaks star-graphics, not ESC\/POS: refused/);
    expect(out).toMatch(/04b8:0e03.*ESC\/POS, profile 'epson-tm-t88'.*vendor-class/);
    expect(out).toMatch(/1fc9:2016.*Xprinter XP-N160II \/ XP-T80Q printer.*profile 'xprinter-80'/);
  });
});

describe('provisioning offers only printers it can drive', () => {
  it('skips a Star TSP143 and gives a fingerprinted Xprinter its profile', async () => {
    const { detectDevices } = await import('../../../provisioning/devices.js');
    const { discoverDevices } = await import('../../../drivers/discovery.js');
    const found = await detectDevices({
      serialDirs: [],
      discover: () =>
        discoverDevices({
          listSerial: async () => [],
          listHid: async () => [],
          listUsb: async () => [
            { vendorId: 0x0519, productId: 0x0003, interfaceClasses: [7] },
            { vendorId: 0x1fc9, productId: 0x2016, interfaceClasses: [7] },
          ],
        }),
    });
    expect(found.map((d) => d.options)).toEqual([
      { transport: 'usb', vendorId: 0x1fc9, productId: 0x2016, profile: 'xprinter-80' },
    ]);
  });
});
