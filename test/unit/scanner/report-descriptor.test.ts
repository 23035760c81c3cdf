import { describe, expect, it } from 'vitest';
import {
  BootKeyboardDecoder,
  hidPosLayoutFromDescriptor,
  parseReportDescriptor,
} from '../../../drivers/scanner/index.js';
import { COMPACT_POS_DESCRIPTOR, HONEYWELL_POS_DESCRIPTOR } from '../../fakes/hid-reports.js';

describe('HID report descriptor parsing', () => {
  it('finds the Honeywell scanned-data report fields at their bit offsets', () => {
    const layouts = parseReportDescriptor(HONEYWELL_POS_DESCRIPTOR);
    expect([...layouts.keys()]).toEqual([2]); // report 4 is output-only
    expect(layouts.get(2)!.bits).toBe(63 * 8);
    expect(hidPosLayoutFromDescriptor(HONEYWELL_POS_DESCRIPTOR)).toEqual({
      reportId: 2,
      byteCount: { bitOffset: 0, bitSize: 8 },
      symbology: [8, 16, 24],
      data: { bitOffset: 32, bytes: 56 },
      continued: { bitOffset: 62 * 8 },
      source: 'descriptor',
    });
  });

  it('handles padding, a leading continued bit and another report id', () => {
    expect(hidPosLayoutFromDescriptor(COMPACT_POS_DESCRIPTOR)).toEqual({
      reportId: 7,
      byteCount: { bitOffset: 32, bitSize: 8 },
      symbology: [8, 16, 24],
      data: { bitOffset: 40, bytes: 32 },
      continued: { bitOffset: 0 },
      source: 'descriptor',
    });
  });

  it('returns undefined for a descriptor without decoded data (a plain keyboard)', () => {
    const keyboard = Buffer.from(
      '05010906a101050719e029e71500250175019508810295017508810395067508150025650507190029658100c0',
      'hex',
    );
    expect(hidPosLayoutFromDescriptor(keyboard)).toBeUndefined();
    expect(parseReportDescriptor(keyboard).get(0)!.bits).toBe(64);
  });
});

describe('BootKeyboardDecoder', () => {
  it('needs a release between repeated characters and ignores ErrorRollOver reports', () => {
    const d = new BootKeyboardDecoder();
    const one = [0, 0, 0x1e, 0, 0, 0, 0, 0];
    expect(d.decode(Buffer.from(one))).toEqual([{ kind: 'char', char: '1' }]);
    expect(d.decode(Buffer.from(one))).toEqual([]); // still held: no second '1'
    expect(d.decode(Buffer.from([0, 0, 1, 1, 1, 1, 1, 1]))).toEqual([]);
    expect(d.decode(Buffer.alloc(8))).toEqual([]);
    expect(d.decode(Buffer.from(one))).toEqual([{ kind: 'char', char: '1' }]);
    // Right Shift + 'z' usage: 'Z' regardless of what a German host layout would make of it.
    expect(d.decode(Buffer.from([0x20, 0, 0x1d, 0, 0, 0, 0, 0]))).toEqual([{ kind: 'char', char: 'Z' }]);
    expect(d.decode(Buffer.from([0x10, 0, 0x30, 0, 0, 0, 0, 0]))).toEqual([{ kind: 'char', char: '\x1d' }]);
  });
});
