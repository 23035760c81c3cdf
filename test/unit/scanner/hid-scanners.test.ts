import { describe, expect, it } from 'vitest';
import { createScannerSource } from '../../../drivers/scanner/index.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../../drivers/scanner/testing/fake-hid.js';
import type { ScannerSource } from '../../../drivers/scanner/types.js';
import {
  altKeypadReports,
  bootKeyboardReports,
  COMPACT_POS_DESCRIPTOR,
  compactPosReports,
  HONEYWELL_POS_DESCRIPTOR,
  honeywellPosReports,
} from '../../fakes/hid-reports.js';
import { collect, GS1_CODE, next, scannerContract, until } from './scanner-contract.js';

const HONEYWELL = { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: '21101B2C4F' };
const posInfo = { ...HONEYWELL, usagePage: 0x8c, usage: 0x02, interface: 1 };
const kbdInfo = { ...HONEYWELL, productId: 0x0b01, usagePage: 0x01, usage: 0x06, interface: 0 };
const reconnect = { initialDelayMs: 10, maxDelayMs: 50 };

async function started(source: ScannerSource): Promise<ScannerSource> {
  const connected = next(source, 'connected');
  await source.start();
  await connected;
  return source;
}

scannerContract(
  'HidPosScanner (fake Honeywell HID POS below node-hid)',
  async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(posInfo, HONEYWELL_POS_DESCRIPTOR);
    bus.plug(device);
    const source = createScannerSource(
      { type: 'hid-pos', ...HONEYWELL, reconnect },
      { hid: bus, now: clock.now },
    );
    return {
      source,
      read: (data) => device.replay(honeywellPosReports(Buffer.from(data, 'latin1'), ']d2'), clock),
      unplug: async () => bus.unplug(device),
      replug: async () => bus.plug(device),
      cleanup: async () => {},
    };
  },
  { canUnplug: true },
);

scannerContract(
  'KeyboardWedgeScanner (fake boot keyboard below node-hid)',
  async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(kbdInfo);
    bus.plug(device);
    const source = createScannerSource(
      {
        type: 'keyboard-wedge',
        vendorId: '0x0c2e',
        productId: '0b01',
        serialNumber: HONEYWELL.serialNumber,
        reconnect,
      },
      { hid: bus, now: clock.now },
    );
    return {
      source,
      read: (data) => device.replay(bootKeyboardReports(`${data}\r`), clock),
      unplug: async () => bus.unplug(device),
      replug: async () => bus.plug(device),
      cleanup: async () => {},
    };
  },
  { canUnplug: true },
);

describe('HidPosScanner', () => {
  function setup(descriptor: Buffer | undefined, info = posInfo) {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(info, descriptor);
    bus.plug(device);
    const source = createScannerSource(
      { type: 'hid-pos', ...HONEYWELL, debounceMs: 0, maxFrameLength: 200, reconnect },
      { hid: bus, now: clock.now },
    );
    return { bus, clock, device, source };
  }

  it('reassembles a continued chain into one binary-safe scan with its AIM identifier', async () => {
    const { clock, device, source } = setup(HONEYWELL_POS_DESCRIPTOR);
    await started(source);
    const scans = collect(source);
    // 130 bytes: three reports (56 + 56 + 18), GS and a NUL inside the data must survive.
    const data = Buffer.from(`${GS1_CODE}\x1d91ABCD\x1d92${'S'.repeat(80)}\x00END`, 'latin1');
    const reports = honeywellPosReports(data, ']d2');
    expect(reports.map((r) => r[63])).toEqual([1, 1, 0]);
    await device.replay(reports, clock);
    await until(() => scans.length === 1, 'the reassembled scan');
    expect(scans[0]!.data).toBe(data.toString('latin1'));
    expect(scans[0]!.symbology).toBe(']d2');
  });

  it('follows the report descriptor, not fixed offsets (compact layout, report id 7)', async () => {
    const { clock, device, source } = setup(COMPACT_POS_DESCRIPTOR);
    await started(source);
    const scans = collect(source);
    await device.replay(compactPosReports(Buffer.from(GS1_CODE, 'latin1'), ']Q3'), clock);
    await device.replay(compactPosReports(Buffer.from('X'.repeat(70), 'latin1'), ']C0'), clock);
    await until(() => scans.length === 2, 'two scans');
    expect(scans.map((s) => [s.symbology, s.data])).toEqual([
      [']Q3', GS1_CODE],
      [']C0', 'X'.repeat(70)],
    ]);
  });

  it('falls back to the Honeywell layout when the descriptor cannot be read, ignoring other reports', async () => {
    const { clock, device, source } = setup(undefined);
    await started(source);
    const scans = collect(source);
    const trigger = Buffer.from([0x04, 0x00]);
    await device.replay([trigger, ...honeywellPosReports(Buffer.from('81234567890123456789'), ']C0')], clock);
    await until(() => scans.length === 1, 'the scan');
    expect(scans[0]).toMatchObject({ data: '81234567890123456789', symbology: ']C0' });
  });

  it('reports an overlong chain and drops it whole, then reads the next scan', async () => {
    const { clock, device, source } = setup(HONEYWELL_POS_DESCRIPTOR);
    await started(source);
    const scans = collect(source);
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    await device.replay(honeywellPosReports(Buffer.alloc(300, 0x41), ']d2'), clock);
    await device.replay(honeywellPosReports(Buffer.from('OK-81234567890'), ']C0'), clock);
    await until(() => scans.length === 1, 'the scan after the overlong one');
    expect(scans[0]!.data).toBe('OK-81234567890');
    expect(errors).toEqual(['overlong']);
  });

  it('picks the HID POS interface of a scanner that also exposes a keyboard, and matches by serial', async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const other = new FakeHidDevice({ ...posInfo, serialNumber: 'OTHER' }, HONEYWELL_POS_DESCRIPTOR);
    const keyboard = new FakeHidDevice({ ...posInfo, usagePage: 0x01, usage: 0x06, interface: 0 });
    const pos = new FakeHidDevice(posInfo, HONEYWELL_POS_DESCRIPTOR);
    for (const d of [other, keyboard, pos]) bus.plug(d);
    const source = createScannerSource(
      { type: 'hid-pos', ...HONEYWELL, reconnect },
      { hid: bus, now: clock.now },
    );
    await started(source);
    expect(source.deviceId).toBe('usb:0c2e:0b61:21101B2C4F');
    const scans = collect(source);
    await other.replay(honeywellPosReports(Buffer.from('WRONG-DEVICE'), ']C0'), clock);
    await pos.replay(honeywellPosReports(Buffer.from('RIGHT-DEVICE'), ']C0'), clock);
    await until(() => scans.length > 0, 'a scan');
    expect(scans.map((s) => s.data)).toEqual(['RIGHT-DEVICE']);
    await source.stop();
  });
});

describe('KeyboardWedgeScanner', () => {
  function setup(options: Record<string, unknown> = {}) {
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
        reconnect,
        ...options,
      } as Parameters<typeof createScannerSource>[0],
      { hid: bus, now: clock.now },
    );
    return { clock, device, source };
  }

  it('decodes a whole GS1 code typed as press/release reports, Shift for capitals, Ctrl+] as GS', async () => {
    const { clock, device, source } = setup();
    await started(source);
    const scans = collect(source);
    const code = `]d2${GS1_CODE}\x1d91Ab_9`;
    const reports = bootKeyboardReports(`${code}\r`);
    expect(reports).toHaveLength(2 * (code.length + 1));
    expect([...reports[2 * code.indexOf('\x1d')]!]).toEqual([0x01, 0, 0x30, 0, 0, 0, 0, 0]); // Ctrl+]
    await device.replay(reports, clock, 4);
    await until(() => scans.length === 1, 'the scan');
    expect(scans[0]!.data).toBe(code);
  });

  it('ignores a person typing (keys far apart) and says so', async () => {
    const { clock, device, source } = setup();
    await started(source);
    const scans = collect(source);
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    const typed = bootKeyboardReports('12345\r');
    // A person: ~150 ms between key presses (releases follow presses closely).
    for (let i = 0; i < typed.length; i += 2) {
      await device.replay([typed[i]!], clock, 150);
      await device.replay([typed[i + 1]!], clock, 40);
    }
    await device.replay(bootKeyboardReports('81234567890123456789\r'), clock, 3);
    await until(() => scans.length === 1, 'the real scan');
    expect(scans[0]!.data).toBe('81234567890123456789');
    expect(errors).toEqual(['typed_input']);
  });

  it('accepts Alt+0029 on the keypad as GS and Tab as the suffix', async () => {
    const { clock, device, source } = setup({ suffix: 'Tab' });
    await started(source);
    const scans = collect(source);
    await device.replay(
      [
        ...bootKeyboardReports('0109506000134352' + '21AB'),
        ...altKeypadReports(29),
        ...bootKeyboardReports('10L1\t'),
      ],
      clock,
    );
    await until(() => scans.length === 1, 'the scan');
    expect(scans[0]!.data).toBe('010950600013435221AB\x1d10L1');
  });

  it('frames by a pause when the scanner sends no suffix, and maps a configured GS substitute', async () => {
    const { clock, device, source } = setup({ suffix: 'none', frameTimeoutMs: 300, gsSubstitute: '~' });
    await started(source);
    const scans = collect(source);
    await device.replay(bootKeyboardReports('0109506000134352' + '21AB~10L1'), clock);
    await until(() => scans.length === 1, 'the scan after the pause');
    expect(scans[0]!.data).toBe('010950600013435221AB\x1d10L1');
  });

  it('reads the report-id-prefixed reports of a composite keyboard and reports overlong input', async () => {
    const { clock, device, source } = setup({ reportId: 1, maxFrameLength: 30 });
    await started(source);
    const scans = collect(source);
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    await device.replay(bootKeyboardReports(`${'7'.repeat(40)}\r`, { reportId: 1 }), clock);
    await device.replay(bootKeyboardReports('81234567890123456789\r', { reportId: 1 }), clock);
    await until(() => scans.length === 1, 'the scan');
    expect(scans[0]!.data).toBe('81234567890123456789');
    expect(errors).toEqual(['overlong']);
  });

  it('takes the keyboard report id from the report descriptor of a composite scanner', async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    // Boot keyboard collection numbered as report 1 (HID 1.11 Appendix B.1 items + Report ID).
    const descriptor = Buffer.from(
      '05010906a101850105071' + '9e029e71500250175019508810295017508810395067508150025650507190029658100c0',
      'hex',
    );
    const device = new FakeHidDevice(kbdInfo, descriptor);
    bus.plug(device);
    const source = createScannerSource(
      { type: 'keyboard-wedge', vendorId: kbdInfo.vendorId, productId: kbdInfo.productId, reconnect },
      { hid: bus, now: clock.now },
    );
    await started(source);
    const scans = collect(source);
    await device.replay(bootKeyboardReports('81234567890123456789\r', { reportId: 1 }), clock);
    await until(() => scans.length === 1, 'the scan');
    expect(scans[0]!.data).toBe('81234567890123456789');
    await source.stop();
  });
});
