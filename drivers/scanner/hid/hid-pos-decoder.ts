import { type HidField, parseReportDescriptor, readBits } from './report-descriptor.js';

/** HID Point of Sale Usage Tables, Bar Code Scanner page (0x8C) usages we read. */
export const HID_POS = {
  page: 0x8c,
  barCodeScanner: 0x02,
  scannedDataReport: 0x12,
  symbologyId1: 0xfb,
  symbologyId2: 0xfc,
  symbologyId3: 0xfd,
  decodedData: 0xfe,
  decodeDataContinued: 0xff,
} as const;
/** Generic Desktop page (0x01), Byte Count (0x3B): how many decoded-data bytes a report carries. */
const BYTE_COUNT = { page: 0x01, usage: 0x3b } as const;

/** Where a scanned-data report keeps its parts (bit offsets after the report id byte). */
export interface HidPosLayout {
  reportId: number;
  byteCount?: { bitOffset: number; bitSize: number };
  symbology: number[];
  data: { bitOffset: number; bytes: number };
  continued?: { bitOffset: number };
  /** Where the layout came from, for logs and `devices`. */
  source: 'descriptor' | 'fixed';
}

/**
 * The layout Honeywell, Zebra and Datalogic scanners use in HID POS mode (DOMAIN.md [S]): report
 * id 0x02; byte count; 3-byte AIM id; 56 data bytes; 2 vendor bytes; flags with bit 0 = continued.
 * Only used when the report descriptor cannot be read.
 */
export const FIXED_HID_POS_LAYOUT: HidPosLayout = {
  reportId: 0x02,
  byteCount: { bitOffset: 0, bitSize: 8 },
  symbology: [8, 16, 24],
  data: { bitOffset: 32, bytes: 56 },
  continued: { bitOffset: (1 + 3 + 56 + 2) * 8 },
  source: 'fixed',
};

/** Finds the scanned-data report in a report descriptor; undefined when it has none. */
export function hidPosLayoutFromDescriptor(descriptor: Uint8Array): HidPosLayout | undefined {
  for (const layout of parseReportDescriptor(descriptor).values()) {
    const find = (page: number, usage: number): HidField | undefined =>
      layout.fields.find((f) => f.usagePage === page && f.usage === usage && (f.flags & 0x01) === 0);
    const data = find(HID_POS.page, HID_POS.decodedData);
    if (data?.bitSize !== 8) continue;
    const count = find(BYTE_COUNT.page, BYTE_COUNT.usage);
    const continued = find(HID_POS.page, HID_POS.decodeDataContinued);
    const symbology = [HID_POS.symbologyId1, HID_POS.symbologyId2, HID_POS.symbologyId3]
      .map((u) => find(HID_POS.page, u))
      .filter((f): f is HidField => f !== undefined && f.bitSize === 8)
      .map((f) => f.bitOffset);
    const result: HidPosLayout = {
      reportId: layout.reportId,
      symbology,
      data: { bitOffset: data.bitOffset, bytes: data.count },
      source: 'descriptor',
    };
    if (count) result.byteCount = { bitOffset: count.bitOffset, bitSize: count.bitSize };
    if (continued) result.continued = { bitOffset: continued.bitOffset };
    return result;
  }
  return undefined;
}

export type HidPosOutcome =
  | { kind: 'scan'; data: Buffer; symbology?: string }
  | { kind: 'partial' }
  | { kind: 'ignored' }
  | { kind: 'error'; code: 'overlong' | 'incomplete' | 'bad_report'; message: string };

/** Longest gap (ms) between the reports of one continued chain before the chain counts as broken. */
const CHAIN_GAP_MS = 1000;

/**
 * Reassembles scans from HID POS scanned-data reports: a chain of reports with the "continued"
 * flag set, ended by one without it, is one scan. Data is binary-safe (GS and NUL survive): the
 * byte count says how much of each report is data. Pure: no I/O, time passed in.
 */
export class HidPosAssembler {
  readonly #layout: HidPosLayout;
  readonly #max: number;
  #parts: Buffer[] = [];
  #length = 0;
  #symbology: string | undefined;
  #lastAt = 0;
  #overlong = false;

  constructor(layout: HidPosLayout, maxFrameLength: number) {
    this.#layout = layout;
    this.#max = maxFrameLength;
  }

  push(report: Uint8Array, at: number): HidPosOutcome {
    const layout = this.#layout;
    const hasId = layout.reportId !== 0;
    if (hasId && report[0] !== layout.reportId) return { kind: 'ignored' }; // trigger/status reports
    const body = hasId ? report.subarray(1) : report;
    const needBytes = Math.ceil((layout.data.bitOffset + layout.data.bytes * 8) / 8);
    if (body.length < needBytes || layout.data.bitOffset % 8 !== 0) {
      return {
        kind: 'error',
        code: 'bad_report',
        message: `HID POS report of ${report.length} bytes is shorter than its descriptor says`,
      };
    }
    let broken: HidPosOutcome | undefined;
    if (this.#parts.length > 0 && at - this.#lastAt > CHAIN_GAP_MS) {
      broken = {
        kind: 'error',
        code: 'incomplete',
        message: 'HID POS continued chain never ended; partial scan dropped',
      };
      this.#reset();
    }
    this.#lastAt = at;
    const start = layout.data.bitOffset / 8;
    let count = layout.data.bytes;
    if (layout.byteCount)
      count = Math.min(count, readBits(body, layout.byteCount.bitOffset, layout.byteCount.bitSize));
    let chunk = Buffer.from(body.subarray(start, start + count));
    // Without a byte count the data is NUL-padded: the only case where trailing NULs are cut.
    if (!layout.byteCount) chunk = chunk.subarray(0, lastNonZero(chunk));
    if (this.#parts.length === 0 && !this.#overlong) this.#symbology = symbologyOf(body, layout.symbology);
    const continued = layout.continued ? readBits(body, layout.continued.bitOffset, 1) === 1 : false;

    if (!this.#overlong) {
      this.#parts.push(chunk);
      this.#length += chunk.length;
      if (this.#length > this.#max) {
        this.#parts = [];
        this.#overlong = true;
      }
    }
    if (continued) return broken ?? { kind: 'partial' };
    if (this.#overlong) {
      const dropped = this.#length;
      this.#reset();
      return {
        kind: 'error',
        code: 'overlong',
        message: `HID POS scan of ${dropped} bytes exceeds maxFrameLength ${this.#max}; discarded`,
      };
    }
    const data = Buffer.concat(this.#parts);
    const symbology = this.#symbology;
    this.#reset();
    if (data.length === 0) return broken ?? { kind: 'ignored' };
    return symbology === undefined ? { kind: 'scan', data } : { kind: 'scan', data, symbology };
  }

  #reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#symbology = undefined;
    this.#overlong = false;
  }
}

function lastNonZero(buf: Buffer): number {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

/** The AIM identifier (ISO/IEC 15424) from the symbology bytes: `]d2`; undefined when all zero. */
function symbologyOf(body: Uint8Array, offsets: number[]): string | undefined {
  const bytes = offsets.map((o) => readBits(body, o, 8)).filter((b) => b !== 0);
  if (bytes.length === 0) return undefined;
  const text = String.fromCharCode(...bytes);
  return text.startsWith(']') ? text : `]${text}`;
}
