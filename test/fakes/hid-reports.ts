/**
 * Report bytes built from the HID specifications, independently of the driver's decoder tables,
 * so a fake device sends what a real one would: HID 1.11 Appendix B.1 boot keyboard reports and
 * HID Point of Sale (usage page 0x8C) scanned-data reports.
 */

/** Bytes from hex groups, so each descriptor item can sit on its own commented line. */
const hex = (...items: string[]): Buffer => Buffer.from(items.join('').replace(/\s+/g, ''), 'hex');

const LEFT_CTRL = 0x01;
const LEFT_SHIFT = 0x02;

// US layout, Keyboard/Keypad page 0x07 (HID Usage Tables §10). Built char by char from the spec.
const UNSHIFTED: Record<string, number> = {
  '1': 0x1e,
  '2': 0x1f,
  '3': 0x20,
  '4': 0x21,
  '5': 0x22,
  '6': 0x23,
  '7': 0x24,
  '8': 0x25,
  '9': 0x26,
  '0': 0x27,
  '\r': 0x28,
  '\t': 0x2b,
  ' ': 0x2c,
  '-': 0x2d,
  '=': 0x2e,
  '[': 0x2f,
  ']': 0x30,
  '\\': 0x31,
  ';': 0x33,
  "'": 0x34,
  '`': 0x35,
  ',': 0x36,
  '.': 0x37,
  '/': 0x38,
};
const SHIFTED: Record<string, number> = {
  '!': 0x1e,
  '@': 0x1f,
  '#': 0x20,
  $: 0x21,
  '%': 0x22,
  '^': 0x23,
  '&': 0x24,
  '*': 0x25,
  '(': 0x26,
  ')': 0x27,
  _: 0x2d,
  '+': 0x2e,
  '{': 0x2f,
  '}': 0x30,
  '|': 0x31,
  ':': 0x33,
  '"': 0x34,
  '~': 0x35,
  '<': 0x36,
  '>': 0x37,
  '?': 0x38,
};

/** The modifier byte and usage a US-layout keyboard scanner sends for one character. */
export function keystroke(char: string): { modifiers: number; usage: number } {
  if (char === '\x1d') return { modifiers: LEFT_CTRL, usage: 0x30 }; // GS = Ctrl+]
  const code = char.charCodeAt(0);
  if (code >= 0x61 && code <= 0x7a) return { modifiers: 0, usage: 0x04 + code - 0x61 };
  if (code >= 0x41 && code <= 0x5a) return { modifiers: LEFT_SHIFT, usage: 0x04 + code - 0x41 };
  if (UNSHIFTED[char] !== undefined) return { modifiers: 0, usage: UNSHIFTED[char] };
  if (SHIFTED[char] !== undefined) return { modifiers: LEFT_SHIFT, usage: SHIFTED[char] };
  throw new Error(`no US keystroke for ${JSON.stringify(char)}`);
}

/**
 * Press + release report per character (8 bytes each: modifiers, reserved, six key slots), as a
 * keyboard-wedge scanner types `text`; GS goes out as Ctrl+], the suffix as Enter (`\r`) or Tab.
 */
export function bootKeyboardReports(text: string, { reportId }: { reportId?: number } = {}): Buffer[] {
  const reports: Buffer[] = [];
  const frame = (bytes: number[]) => Buffer.from(reportId === undefined ? bytes : [reportId, ...bytes]);
  for (const char of text) {
    const { modifiers, usage } = keystroke(char);
    reports.push(frame([modifiers, 0, usage, 0, 0, 0, 0, 0]));
    reports.push(frame([0, 0, 0, 0, 0, 0, 0, 0]));
  }
  return reports;
}

/** Windows-style Alt+0029 on the keypad (Alt held, keypad 0 0 2 9, Alt released) = GS. */
export function altKeypadReports(code: number): Buffer[] {
  const LEFT_ALT = 0x04;
  const pad = (d: number) => (d === 0 ? 0x62 : 0x58 + d);
  const digits = String(code).padStart(4, '0').split('').map(Number);
  const reports = digits.flatMap((d) => [
    Buffer.from([LEFT_ALT, 0, pad(d), 0, 0, 0, 0, 0]),
    Buffer.from([LEFT_ALT, 0, 0, 0, 0, 0, 0, 0]),
  ]);
  reports.push(Buffer.alloc(8));
  return reports;
}

/**
 * Report descriptor of a Honeywell-style HID POS interface (HID POS Usage Tables 1.02): report 2 =
 * Byte Count (Generic Desktop 0x3B), Symbology Identifier 1–3 (0x8C:FB–FD), 56 bytes Decoded Data
 * (0x8C:FE, buffered bytes), two vendor bytes (page 0xFF66), 8 bits Decode Data Continued (0x8C:FF,
 * bit 0 is the flag); report 4 = trigger output.
 */
export const HONEYWELL_POS_DESCRIPTOR = hex(
  '05 8c 09 02 a1 01', // Usage Page (Bar Code Scanner), Usage (Bar Code Scanner), Collection (Application)
  '09 12 a1 02 85 02', //   Usage (Scanned Data Report), Collection (Logical), Report ID (2)
  '15 00 26 ff 00 75 08 95 01', //   Logical Min 0, Logical Max 255, Report Size 8, Report Count 1
  '05 01 09 3b 81 02', //   Usage Page (Generic Desktop), Usage (Byte Count), Input (Data,Var,Abs)
  '95 03 05 8c 09 fb 09 fc 09 fd 81 02', //   Count 3, Symbology Identifier 1..3, Input
  '95 38 09 fe 82 02 01', //   Count 56, Usage (Decoded Data), Input (Data,Var,Abs,Buffered Bytes)
  '06 66 ff 95 02 09 04 09 00 81 02', //   Vendor page 0xFF66: code id + reserved byte
  '05 8c 25 01 75 01 95 08 09 ff 81 02', //   8 x 1 bit, Usage (Decode Data Continued), Input
  'c0', //   End Collection
  '09 14 a1 02 85 04 15 00 25 01 75 01 95 08', //   Usage (Trigger Report), Collection, Report ID (4)
  '09 00 09 5f 09 60 09 00 09 00 09 85 09 86 91 86 c0', //   trigger usages, Output, End Collection
  'c0', // End Collection
);

/**
 * A different, equally valid HID POS layout (report 7: continued flag first, then symbology,
 * then byte count, then 32 data bytes): a driver reading fixed Honeywell offsets gets it wrong.
 */
export const COMPACT_POS_DESCRIPTOR = hex(
  '05 8c 09 02 a1 01 09 12 a1 02 85 07', // Bar Code Scanner, Scanned Data Report, Report ID (7)
  '15 00 25 01 75 01 95 01 09 ff 81 02', //   1 bit Decode Data Continued, Input
  '75 07 95 01 81 03', //   7 bits padding, Input (Constant)
  '26 ff 00 75 08 95 03 09 fb 09 fc 09 fd 81 02', //   Symbology Identifier 1..3
  '95 01 05 01 09 3b 81 02', //   Generic Desktop Byte Count
  '05 8c 95 20 09 fe 82 02 01', //   32 bytes Decoded Data (Buffered Bytes)
  'c0 c0', // End Collection x2
);

/** Scanned-data reports in the Honeywell layout: 64 bytes each, continued bit on all but the last. */
export function honeywellPosReports(data: Buffer, aim: string): Buffer[] {
  const reports: Buffer[] = [];
  for (let at = 0; at === 0 || at < data.length; at += 56) {
    const chunk = data.subarray(at, at + 56);
    const report = Buffer.alloc(64);
    report[0] = 0x02;
    report[1] = chunk.length;
    report.write(aim, 2, 3, 'latin1');
    chunk.copy(report, 5);
    report[63] = at + 56 < data.length ? 0x01 : 0x00;
    reports.push(report);
  }
  return reports;
}

/** Scanned-data reports in the compact layout of COMPACT_POS_DESCRIPTOR (38 bytes each). */
export function compactPosReports(data: Buffer, aim: string): Buffer[] {
  const reports: Buffer[] = [];
  for (let at = 0; at === 0 || at < data.length; at += 32) {
    const chunk = data.subarray(at, at + 32);
    const report = Buffer.alloc(1 + 1 + 3 + 1 + 32);
    report[0] = 0x07;
    report[1] = at + 32 < data.length ? 0x01 : 0x00;
    report.write(aim, 2, 3, 'latin1');
    report[5] = chunk.length;
    chunk.copy(report, 6);
    reports.push(report);
  }
  return reports;
}
