import { describe, expect, it } from 'vitest';
import {
  BootKeyboardDecoder,
  createScannerSource,
  parseScannerOptions,
} from '../../../drivers/scanner/index.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../../drivers/scanner/testing/fake-hid.js';
import { bootKeyboardReports } from '../../fakes/hid-reports.js';
import { collect, next, until } from './scanner-contract.js';

const kbdInfo = { vendorId: 0x0c2e, productId: 0x0b01, usagePage: 0x01, usage: 0x06 };
const press = (mod: number, usage: number) => [Buffer.from([mod, 0, usage, 0, 0, 0, 0, 0]), Buffer.alloc(8)];

async function wedge(options: Record<string, unknown> = {}) {
  const bus = new FakeHidBus();
  const clock = new FakeClock();
  const device = new FakeHidDevice(kbdInfo);
  bus.plug(device);
  const source = createScannerSource(
    {
      type: 'keyboard-wedge',
      vendorId: kbdInfo.vendorId,
      productId: kbdInfo.productId,
      debounceMs: 0,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      ...options,
    } as Parameters<typeof createScannerSource>[0],
    { hid: bus, now: clock.now },
  );
  const connected = next(source, 'connected');
  await source.start();
  await connected;
  const errors: { code: string; message: string }[] = [];
  source.on('error', (e) => errors.push(e));
  return { clock, device, source, scans: collect(source), errors };
}

describe('keyboard-wedge settings', () => {
  it('a scanner that sends no suffix is reported when the next scan arrives, never dropped silently', async () => {
    const { clock, device, source, scans, errors } = await wedge();
    // One scan without suffix, then a terminated one a second later.
    await device.replay(bootKeyboardReports('81234567890123456789'), clock, 3);
    const second = bootKeyboardReports('99999999\r');
    await device.replay(second.slice(0, 1), clock, 1000);
    await device.replay(second.slice(1), clock, 3);
    await until(() => errors.length === 1 && scans.length === 1, 'the no_suffix report and the next scan');
    expect(errors[0]!.code).toBe('no_suffix');
    expect(scans[0]!.data).toBe('99999999');
    expect(errors[0]!.message).toContain('81234567890123456789');
    await source.stop();
  });

  it('GS sent as a configurable control character (keyboard.gs = ctrl-g) becomes GS', async () => {
    const { clock, device, source, scans } = await wedge({ keyboard: { gs: 'ctrl-g' } });
    await device.replay(
      [...bootKeyboardReports('01'), ...press(0x01, 0x0a), ...bootKeyboardReports('10ABC\r')],
      clock,
      3,
    );
    await until(() => scans.length === 1, 'the scan');
    expect(scans[0]!.data).toBe('01\x1d10ABC');
    await source.stop();
  });

  it('Caps Lock from the host side can be declared (capsLock: inverted) so letters keep their case', () => {
    const d = new BootKeyboardDecoder({ capsLock: 'inverted' });
    expect(d.decode(Buffer.from([0x02, 0, 0x04, 0, 0, 0, 0, 0]))).toEqual([{ kind: 'char', char: 'a' }]);
    d.decode(Buffer.alloc(8));
    expect(d.decode(Buffer.from([0, 0, 0x05, 0, 0, 0, 0, 0]))).toEqual([{ kind: 'char', char: 'B' }]);
  });

  it('a dead key followed by Space types its accent (AZERTY ^)', () => {
    const d = new BootKeyboardDecoder({ layout: 'fr' });
    expect(d.decode(Buffer.from([0, 0, 0x2f, 0, 0, 0, 0, 0]))).toEqual([]);
    d.decode(Buffer.alloc(8));
    expect(d.decode(Buffer.from([0, 0, 0x2c, 0, 0, 0, 0, 0]))).toEqual([{ kind: 'char', char: '^' }]);
  });

  it('refuses typos and unknown settings, naming the field', () => {
    const base = { type: 'keyboard-wedge', vendorId: 1, productId: 2 };
    expect(() => parseScannerOptions({ ...base, keyboard: { layuot: 'fr' } })).toThrow(
      /keyboard.*layuot|Unrecognized/,
    );
    expect(() => parseScannerOptions({ ...base, keyboard: { layout: 'azerty' } })).toThrow(
      /keyboard\.layout/,
    );
    expect(() => parseScannerOptions({ ...base, sufix: 'Enter' })).toThrow(/sufix|Unrecognized/);
    expect(() =>
      parseScannerOptions({ type: 'hid-pos', vendorId: 1, productId: 2, chainTimeoutMS: 50 }),
    ).toThrow(/chainTimeoutMS|Unrecognized/);
    expect(parseScannerOptions({ ...base, keyboard: { layout: 'de', gs: 'down' } })).toMatchObject({
      keyboard: { layout: 'de', gs: 'down', capsLock: 'track', altCodePage: 'cp437' },
    });
  });
});

describe('Honeywell composite devices (feature report 0xFE)', () => {
  const info = { vendorId: 0x0c2e, productId: 0x0b8f, usagePage: 0x8c, usage: 0x02 };
  const report = Buffer.alloc(64);
  report[0] = 2;
  report[1] = 4;
  report.write(']C0TEST', 2, 'latin1');

  for (const quirks of [true, false]) {
    it(`${quirks ? 'sets output redirection and reads scans' : 'without the quirk the device stays silent (what users saw)'}`, async () => {
      const bus = new FakeHidBus();
      const clock = new FakeClock();
      const device = new FakeHidDevice(info, undefined, { requiresFeatureReport: [0xfe, 0x01] });
      bus.plug(device);
      const source = createScannerSource(
        {
          type: 'hid-pos',
          vendorId: info.vendorId,
          productId: info.productId,
          quirks,
          reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
        },
        { hid: bus, now: clock.now },
      );
      const connected = next(source, 'connected');
      await source.start();
      await connected;
      const scans = collect(source);
      await device.replay([report], clock);
      if (quirks) {
        await until(() => scans.length === 1, 'the scan');
        expect(scans[0]).toMatchObject({ data: 'TEST', symbology: ']C0' });
        expect(device.featureReports.map((r) => [...r])).toEqual([[0xfe, 0x01]]);
      } else {
        expect(device.featureReports).toEqual([]);
        expect(scans).toEqual([]);
      }
      await source.stop();
    });
  }

  it('a device that cannot take the feature report is reported, never shown connected and silent', async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(info);
    bus.plug(device);
    const api = {
      devices: () => bus.devices(),
      open: async (path: string) => {
        const handle = await bus.open(path);
        return {
          on: handle.on.bind(handle),
          removeAllListeners: handle.removeAllListeners.bind(handle),
          close: () => handle.close(),
        };
      },
    };
    const source = createScannerSource(
      {
        type: 'hid-pos',
        vendorId: info.vendorId,
        productId: info.productId,
        reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      },
      { hid: api, now: clock.now },
    );
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    await source.start();
    await until(() => errors.length === 1 && bus.opens >= 3, 'three attempts');
    // Reported once, not once per reopen attempt.
    expect(errors).toEqual(['device_setup_failed']);
    expect(source.state).not.toBe('connected');
    await source.stop();
  });
});

describe('a Honeywell model that refuses feature report 0xFE', () => {
  it('is reported and still read', async () => {
    const info = { vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x8c, usage: 0x02 };
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(info);
    bus.plug(device);
    const api = {
      devices: () => bus.devices(),
      open: async (path: string) => {
        const handle = await bus.open(path);
        return Object.assign(handle, {
          sendFeatureReport: async () => {
            throw new Error('could not send feature report to device');
          },
        });
      },
    };
    const source = createScannerSource(
      {
        type: 'hid-pos',
        vendorId: info.vendorId,
        productId: info.productId,
        reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      },
      { hid: api, now: clock.now },
    );
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    // events.once would reject on the 'error' this test expects: poll the state instead.
    await source.start();
    await until(() => source.state === 'connected', 'the source to connect');
    const scans = collect(source);
    const report = Buffer.alloc(64);
    report[0] = 2;
    report[1] = 4;
    report.write(']C0TEST', 2, 'latin1');
    await device.replay([report], clock);
    await until(() => scans.length === 1, 'the scan');
    expect(errors).toEqual(['feature_report_failed']);
    await source.stop();
  });
});

describe('bounded input', () => {
  it('a device spamming keys that type nothing is cut at maxFrameLength, not buffered', async () => {
    const { clock, device, source, scans, errors } = await wedge({ maxFrameLength: 50 });
    const spam = Array.from({ length: 400 }, (_, i) => press(0, 0x51 + (i % 2))).flat();
    await device.replay([...spam, ...press(0, 0x28)], clock, 2);
    await until(() => errors.length === 1, 'the overlong report');
    expect(errors[0]!.code).toBe('overlong');
    expect(scans).toEqual([]);
    await source.stop();
  });
});

describe('suffix none', () => {
  it('a pause ends the frame even when the flush timer has not run yet (busy event loop)', async () => {
    const { clock, device, source, scans, errors } = await wedge({ suffix: 'none', frameTimeoutMs: 5000 });
    await device.replay(bootKeyboardReports('81234567890123456789'), clock, 3);
    const second = bootKeyboardReports('0109506000134352');
    await device.replay(second.slice(0, 1), clock, 500);
    await until(() => scans.length === 1, 'the first scan, ended by the pause');
    expect(scans[0]!.data).toBe('81234567890123456789');
    expect(errors).toEqual([]);
    await source.stop();
  });
});
