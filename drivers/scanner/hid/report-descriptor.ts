/**
 * A small HID report descriptor parser (Device Class Definition for HID 1.11, §6.2.2): enough to
 * locate Input fields by usage. Short items only carry what we need; long items are skipped.
 */
export interface HidField {
  usagePage: number;
  usage: number;
  /** Bit offset inside the report, after the report id byte (if any). */
  bitOffset: number;
  bitSize: number;
  /** Number of consecutive elements of `bitSize` (buffered bytes and arrays have more than one). */
  count: number;
  /** Input item flags (bit 0 constant, bit 1 variable, bit 8 buffered bytes). */
  flags: number;
}

export interface HidReportLayout {
  reportId: number;
  fields: HidField[];
  /** Total input bits after the report id. */
  bits: number;
}

interface Globals {
  usagePage: number;
  reportSize: number;
  reportCount: number;
  reportId: number;
}

/** Input reports by report id (0 when the device does not number its reports). */
export function parseReportDescriptor(bytes: Uint8Array): Map<number, HidReportLayout> {
  const layouts = new Map<number, HidReportLayout>();
  let g: Globals = { usagePage: 0, reportSize: 0, reportCount: 0, reportId: 0 };
  const stack: Globals[] = [];
  type UsageRef = { page?: number; id: number };
  let usages: UsageRef[] = [];
  let usageMin: number | undefined;
  let usageMax: number | undefined;

  const layoutFor = (id: number): HidReportLayout => {
    let layout = layouts.get(id);
    if (!layout) {
      layout = { reportId: id, fields: [], bits: 0 };
      layouts.set(id, layout);
    }
    return layout;
  };

  let i = 0;
  while (i < bytes.length) {
    const prefix = bytes[i]!;
    if (prefix === 0xfe) {
      i += 3 + (bytes[i + 1] ?? 0); // long item: bDataSize, bLongItemTag, data
      continue;
    }
    const size = [0, 1, 2, 4][prefix & 0x03]!;
    const type = (prefix >> 2) & 0x03;
    const tag = prefix >> 4;
    let value = 0;
    for (let b = 0; b < size; b++) value |= (bytes[i + 1 + b] ?? 0) << (8 * b);
    value >>>= 0;
    i += 1 + size;

    if (type === 1) {
      if (tag === 0) g.usagePage = value;
      else if (tag === 7) g.reportSize = value;
      else if (tag === 8) g.reportId = value;
      else if (tag === 9) g.reportCount = value;
      else if (tag === 10) stack.push({ ...g });
      else if (tag === 11) g = stack.pop() ?? g;
    } else if (type === 2) {
      // A 4-byte usage carries its own page in the high 16 bits (§6.2.2.8).
      const page = size === 4 ? value >>> 16 : undefined;
      const id = size === 4 ? value & 0xffff : value;
      if (tag === 0) usages.push(page === undefined ? { id } : { page, id });
      else if (tag === 1) usageMin = id;
      else if (tag === 2) usageMax = id;
    } else if (type === 0) {
      if (tag === 8) {
        const layout = layoutFor(g.reportId);
        const variable = (value & 0x02) !== 0;
        const buffered = (value & 0x100) !== 0;
        const constant = (value & 0x01) !== 0;
        const list: UsageRef[] =
          usages.length > 0
            ? usages
            : usageMin !== undefined && usageMax !== undefined
              ? Array.from({ length: Math.max(0, usageMax - usageMin + 1) }, (_, k) => ({
                  id: usageMin! + k,
                }))
              : [];
        if (constant || list.length === 0 || !variable || buffered) {
          // Padding, an array (keyboard keys) or a buffered-bytes field: one field of `count` elements.
          const first = list[0];
          layout.fields.push({
            usagePage: first?.page ?? g.usagePage,
            usage: constant ? 0 : (first?.id ?? 0),
            bitOffset: layout.bits,
            bitSize: g.reportSize,
            count: g.reportCount,
            flags: value,
          });
        } else {
          // Variable fields: one per element; the last usage repeats when there are fewer usages.
          for (let k = 0; k < g.reportCount; k++) {
            const u = list[Math.min(k, list.length - 1)]!;
            layout.fields.push({
              usagePage: u.page ?? g.usagePage,
              usage: u.id,
              bitOffset: layout.bits + k * g.reportSize,
              bitSize: g.reportSize,
              count: 1,
              flags: value,
            });
          }
        }
        layout.bits += g.reportSize * g.reportCount;
      }
      if (tag === 8 || tag === 9 || tag === 11 || tag === 10 || tag === 12) {
        usages = [];
        usageMin = undefined;
        usageMax = undefined;
      }
    }
  }
  return layouts;
}

/** Reads an unsigned field element (up to 32 bits) from a report body (report id stripped). */
export function readBits(body: Uint8Array, bitOffset: number, bitSize: number): number {
  let value = 0;
  for (let b = 0; b < bitSize; b++) {
    const bit = bitOffset + b;
    if (((body[bit >> 3] ?? 0) >> (bit & 7)) & 1) value += 2 ** b;
  }
  return value;
}
