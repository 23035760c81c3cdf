import { describe, expect, it } from 'vitest';
import {
  createScannerSource,
  HidPosAssembler,
  hidPosLayoutFromDescriptor,
} from '../../../drivers/scanner/index.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../../drivers/scanner/testing/fake-hid.js';
import { HONEYWELL_POS_DESCRIPTOR } from '../../fakes/hid-reports.js';
import { collect, next, until } from './scanner-contract.js';

/** A report as the JieLi firmware builds it: the continued bit set on every full 56-byte chunk. */
function jieliReports(data: string): Buffer[] {
  const bytes = Buffer.from(data, 'latin1');
  const reports: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 56) {
    const chunk = bytes.subarray(at, at + 56);
    const r = Buffer.alloc(64);
    r[0] = 2;
    r[1] = chunk.length;
    r.write(']C0', 2, 'latin1');
    chunk.copy(r, 5);
    r[63] = chunk.length === 56 ? 1 : 0;
    reports.push(r);
  }
  return reports;
}

const GS1_BASE = '0104607001234566215RUfNAm2B4Zt\x1d93dGVz\x1d91EE10\x1d3103000250';
/** 55 characters: with the CR the firmware appends, exactly one full 56-byte report. */
const CODE_55 = GS1_BASE + 'X'.repeat(55 - GS1_BASE.length);
const layout = hidPosLayoutFromDescriptor(HONEYWELL_POS_DESCRIPTOR)!;

describe('HID POS end of chain (JieLi firmware: "continued" on a final full report)', () => {
  const [full] = jieliReports(`${CODE_55}\r`);
  const [short] = jieliReports('6901234567892\r');

  it('a 56-byte scan followed 400 ms later by another is two scans, not one joined scan', () => {
    const a = new HidPosAssembler(layout, { maxFrameLength: 4096, fullReportMayEndChain: true });
    expect(a.push(full!, 0)).toEqual([{ kind: 'partial' }]);
    const out = a.push(short!, 400);
    expect(out.map((o) => (o.kind === 'scan' ? o.data.toString('latin1') : o.kind))).toEqual([
      `${CODE_55}\r`,
      '6901234567892\r',
    ]);
    expect(out[0]).toMatchObject({ at: 0 });
  });

  it('a 56-byte scan followed 1.5 s later by another is not lost', () => {
    const a = new HidPosAssembler(layout, { maxFrameLength: 4096, fullReportMayEndChain: true });
    a.push(full!, 0);
    const out = a.push(short!, 1500);
    expect(out.filter((o) => o.kind === 'scan')).toHaveLength(2);
  });

  it('without the setting a chain that goes silent is reported incomplete, even when the next report completes a scan', () => {
    const a = new HidPosAssembler(layout, { maxFrameLength: 4096 });
    a.push(full!, 0);
    const out = a.push(short!, 400);
    expect(out.map((o) => o.kind)).toEqual(['error', 'scan']);
    expect(out[0]).toMatchObject({ code: 'incomplete' });
    expect((out[1] as { data: Buffer }).data.toString()).toBe('6901234567892\r');
  });

  it('expire() closes a silent chain only after chainTimeoutMs', () => {
    const a = new HidPosAssembler(layout, {
      maxFrameLength: 4096,
      chainTimeoutMs: 200,
      fullReportMayEndChain: true,
    });
    a.push(full!, 1000);
    expect(a.pendingSince).toBe(1000);
    expect(a.expire(1100)).toEqual([]);
    const out = a.expire(1200);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'scan', symbology: ']C0', at: 1000 });
    expect(a.pendingSince).toBeUndefined();
  });

  it('a real chain (continued, then short) within the timeout is still one scan', () => {
    const a = new HidPosAssembler(layout, { maxFrameLength: 4096, fullReportMayEndChain: true });
    const reports = jieliReports(`${CODE_55}${CODE_55}\r`);
    expect(reports).toHaveLength(2);
    a.push(reports[0]!, 0);
    const out = a.push(reports[1]!, 3);
    expect(out).toHaveLength(1);
    expect((out[0] as { data: Buffer }).data.toString('latin1')).toBe(`${CODE_55}${CODE_55}\r`);
  });

  it('the HidPosScanner delivers a lone final full report after chainTimeoutMs, suffix removed', async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(
      { vendorId: 0x1a2b, productId: 0x3c4d, usagePage: 0x8c, usage: 2 },
      HONEYWELL_POS_DESCRIPTOR,
    );
    bus.plug(device);
    const source = createScannerSource(
      {
        type: 'hid-pos',
        vendorId: 0x1a2b,
        productId: 0x3c4d,
        fullReportMayEndChain: true,
        chainTimeoutMs: 20,
        reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      },
      { hid: bus, now: clock.now },
    );
    const connected = next(source, 'connected');
    await source.start();
    await connected;
    const scans = collect(source);
    await device.replay([full!], clock);
    await until(() => scans.length === 1, 'the scan closed by silence');
    expect(scans[0]).toMatchObject({ data: CODE_55, symbology: ']C0' });
    await source.stop();
  });

  it('a Honeywell chain that never ends is reported by the timer, not only when the next scan comes', async () => {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice(
      { vendorId: 0x1a2b, productId: 0x3c4d, usagePage: 0x8c, usage: 2 },
      HONEYWELL_POS_DESCRIPTOR,
    );
    bus.plug(device);
    const source = createScannerSource(
      {
        type: 'hid-pos',
        vendorId: 0x1a2b,
        productId: 0x3c4d,
        chainTimeoutMs: 20,
        reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      },
      { hid: bus, now: clock.now },
    );
    const connected = next(source, 'connected');
    await source.start();
    await connected;
    const error = next(source, 'error');
    await device.replay([full!], clock);
    expect(await error).toMatchObject({ code: 'incomplete' });
    await source.stop();
  });
});

describe('HID POS layouts that differ from Honeywell', () => {
  async function readWith(options: Record<string, unknown>, report: Buffer) {
    const bus = new FakeHidBus();
    const clock = new FakeClock();
    const device = new FakeHidDevice({ vendorId: 0x1a2b, productId: 0x3c4d, usagePage: 0x8c, usage: 2 });
    bus.plug(device);
    const source = createScannerSource(
      {
        type: 'hid-pos',
        vendorId: 0x1a2b,
        productId: 0x3c4d,
        reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
        ...options,
      } as Parameters<typeof createScannerSource>[0],
      { hid: bus, now: clock.now },
    );
    const connected = next(source, 'connected');
    await source.start();
    await connected;
    const scans = collect(source);
    await device.replay([report], clock);
    await until(() => scans.length === 1, 'the scan');
    await source.stop();
    return scans[0]!;
  }

  it('reads the AIM id at body offset 2 when the layout option says so', async () => {
    const r = Buffer.alloc(64);
    r[0] = 2;
    r[1] = 13;
    r.write(']E0', 3, 'latin1'); // body offset 2: one vendor byte before the AIM id
    r.write('6901234567892', 6, 'latin1');
    const scan = await readWith(
      {
        layout: {
          reportId: 2,
          byteCountOffset: 0,
          dataOffset: 5,
          dataBytes: 56,
          aimOffset: 2,
          continuedOffset: 62,
        },
      },
      r,
    );
    expect(scan).toMatchObject({ data: '6901234567892', symbology: ']E0' });
  });

  it('never invents a symbology from data bytes (a Newland report read with the Honeywell layout)', async () => {
    const r = Buffer.alloc(64);
    r[0] = 2;
    r[1] = 13;
    r.write('6901234567892', 2, 'latin1');
    const scan = await readWith({ quirks: false }, r);
    expect(scan.symbology).toBeUndefined();
  });
});
