import type { HidPosLayoutOverride } from '../quirks.js';
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
  source: 'descriptor' | 'fixed' | 'quirk' | 'options';
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

/** A layout given as byte offsets (quirk table or options) in the decoder's bit-offset form. */
export function layoutFromOverride(o: HidPosLayoutOverride): HidPosLayout {
  const layout: HidPosLayout = {
    reportId: o.reportId,
    byteCount: { bitOffset: o.byteCountOffset * 8, bitSize: 8 },
    symbology: o.aimOffset === undefined ? [] : [0, 1, 2].map((k) => (o.aimOffset! + k) * 8),
    data: { bitOffset: o.dataOffset * 8, bytes: o.dataBytes },
    source: 'quirk',
  };
  if (o.continuedOffset !== undefined) layout.continued = { bitOffset: o.continuedOffset * 8 };
  return layout;
}

export type HidPosOutcome =
  | { kind: 'scan'; data: Buffer; symbology?: string /** Arrival of the chain's last report. */; at: number }
  | { kind: 'partial' }
  | { kind: 'ignored' }
  | { kind: 'error'; code: 'overlong' | 'incomplete' | 'bad_report'; message: string };

export interface HidPosAssemblerOptions {
  /** Longest accepted scan in bytes. */
  maxFrameLength: number;
  /** Silence after a report that says more follows, after which the chain is closed. @default 200 */
  chainTimeoutMs?: number;
  /** A full report may end a scan even with "continued" set (JieLi firmware); see quirks.ts. */
  fullReportMayEndChain?: boolean;
}

/**
 * Reassembles scans from HID POS scanned-data reports: a chain of reports with the "continued"
 * flag set, ended by one without it, is one scan. Data is binary-safe (GS and NUL survive): the
 * byte count says how much of each report is data. Pure: no I/O, time passed in.
 *
 * End of chain (HID POS Usage Tables 1.02 §4.2 "Decode Data Continued"): a report without the
 * flag ends the scan. Real firmware bends this, so silence matters too: when nothing follows a
 * "continued" report within `chainTimeoutMs`, the chain is closed by `expire()` (the caller's
 * timer) or by the next report. A closed chain is a scan when the device may end on a full
 * report (`fullReportMayEndChain`, or a layout without a continued flag), else an `incomplete`
 * error, never a silent loss: every outcome is returned, in order.
 */
export class HidPosAssembler {
  readonly #layout: HidPosLayout;
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #fullMayEnd: boolean;
  #parts: Buffer[] = [];
  #length = 0;
  #symbology: string | undefined;
  #lastAt = 0;
  #lastFull = false;
  #pending = false;
  #overlong = false;

  constructor(layout: HidPosLayout, options: HidPosAssemblerOptions | number) {
    const o = typeof options === 'number' ? { maxFrameLength: options } : options;
    this.#layout = layout;
    this.#max = o.maxFrameLength;
    this.#timeoutMs = o.chainTimeoutMs ?? 200;
    // Without a continued flag a full report is the only hint that more may follow.
    this.#fullMayEnd = o.fullReportMayEndChain === true || layout.continued === undefined;
  }

  /** Epoch ms of the last report of an unfinished chain; undefined when none is pending. */
  get pendingSince(): number | undefined {
    return this.#pending ? this.#lastAt : undefined;
  }

  get chainTimeoutMs(): number {
    return this.#timeoutMs;
  }

  push(report: Uint8Array, at: number): HidPosOutcome[] {
    const layout = this.#layout;
    const hasId = layout.reportId !== 0;
    if (hasId && report[0] !== layout.reportId) return [{ kind: 'ignored' }]; // trigger/status reports
    const body = hasId ? report.subarray(1) : report;
    const needBytes = Math.ceil((layout.data.bitOffset + layout.data.bytes * 8) / 8);
    if (body.length < needBytes || layout.data.bitOffset % 8 !== 0) {
      return [
        {
          kind: 'error',
          code: 'bad_report',
          message: `HID POS report of ${report.length} bytes is shorter than its layout says (${needBytes + (hasId ? 1 : 0)})`,
        },
      ];
    }
    const outcomes: HidPosOutcome[] = [];
    if (this.#pending && at - this.#lastAt > this.#timeoutMs) outcomes.push(...this.#close());
    this.#lastAt = at;
    const start = layout.data.bitOffset / 8;
    let count = layout.data.bytes;
    if (layout.byteCount)
      count = Math.min(count, readBits(body, layout.byteCount.bitOffset, layout.byteCount.bitSize));
    let chunk = Buffer.from(body.subarray(start, start + count));
    // Without a byte count the data is NUL-padded: the only case where trailing NULs are cut.
    if (!layout.byteCount) chunk = chunk.subarray(0, lastNonZero(chunk));
    if (this.#parts.length === 0 && !this.#overlong) this.#symbology = symbologyOf(body, layout.symbology);
    const full = count === layout.data.bytes;
    const continued = layout.continued
      ? readBits(body, layout.continued.bitOffset, 1) === 1
      : this.#fullMayEnd && full;
    if (!this.#overlong) {
      this.#parts.push(chunk);
      this.#length += chunk.length;
      if (this.#length > this.#max) {
        this.#parts = [];
        this.#overlong = true;
      }
    }
    this.#lastFull = full;
    if (continued) {
      this.#pending = true;
      outcomes.push({ kind: 'partial' });
      return outcomes;
    }
    outcomes.push(this.#finish());
    return outcomes;
  }

  /** Closes a chain that has been silent for `chainTimeoutMs` at `now`; [] when nothing is due. */
  expire(now: number): HidPosOutcome[] {
    if (!this.#pending || now - this.#lastAt < this.#timeoutMs) return [];
    return this.#close();
  }

  reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#symbology = undefined;
    this.#overlong = false;
    this.#pending = false;
    this.#lastFull = false;
  }

  /** A chain that went silent after a "continued" report. */
  #close(): HidPosOutcome[] {
    if (this.#fullMayEnd && this.#lastFull) return [this.#finish()];
    const lost = this.#length;
    this.reset();
    return [
      {
        kind: 'error',
        code: 'incomplete',
        message: `HID POS scan never finished: ${lost} bytes arrived with "continued" set and nothing followed within ${this.#timeoutMs} ms; partial scan dropped (if this scanner ends scans of 56·n bytes that way, set fullReportMayEndChain)`,
      },
    ];
  }

  #finish(): HidPosOutcome {
    if (this.#overlong) {
      const dropped = this.#length;
      this.reset();
      return {
        kind: 'error',
        code: 'overlong',
        message: `HID POS scan of ${dropped} bytes exceeds maxFrameLength ${this.#max}; discarded`,
      };
    }
    const data = Buffer.concat(this.#parts);
    const symbology = this.#symbology;
    this.reset();
    if (data.length === 0) return { kind: 'ignored' };
    const at = this.#lastAt;
    return symbology === undefined ? { kind: 'scan', data, at } : { kind: 'scan', data, symbology, at };
  }
}

function lastNonZero(buf: Buffer): number {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

/**
 * The AIM identifier (ISO/IEC 15424 §5: `]`, a code character A–Z/a–z, a modifier character)
 * from the symbology bytes, `]` added when the device leaves it out. Undefined when the bytes
 * are zero or are not an AIM id at all (a layout read at the wrong offset: `690` is data).
 */
export function symbologyOf(body: Uint8Array, offsets: number[]): string | undefined {
  const bytes = offsets.map((o) => readBits(body, o, 8)).filter((b) => b !== 0);
  if (bytes.length === 0) return undefined;
  const text = String.fromCharCode(...bytes);
  const aim = text.startsWith(']') ? text : `]${text}`;
  return /^\][A-Za-z][0-9A-Za-z]$/.test(aim) ? aim : undefined;
}
