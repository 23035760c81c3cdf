import { createScannerSource } from './create-scanner-source.js';
import { BootKeyboardDecoder, type KeyEvent } from './hid/boot-keyboard-decoder.js';
import { type HidApi, type HidDeviceInfo, type HidDeviceLike, nodeHidApi } from './hid/hid-device.js';
import type { HidPosScanner } from './hid/hid-pos-scanner.js';
import { readBits } from './hid/report-descriptor.js';
import type { ScannerOptionsInput } from './options.js';
import { scannerQuirksFor } from './quirks.js';
import type { Scan } from './types.js';

/** One raw input report as it arrived, ms after the first. */
export interface RawReport {
  atMs: number;
  hex: string;
}

export interface ListenResult {
  device: HidDeviceInfo;
  mode: 'hid-pos' | 'keyboard-wedge';
  reports: RawReport[];
  /** Keyboard mode: the keys pressed, by name (`1`, `Shift+A`, `Ctrl+M`, `Down`, `Enter`). */
  keys: string[];
  scans: Scan[];
  errors: { code: string; message: string }[];
  /** Quirks the driver applied and the layout it used (HID POS). */
  quirks: string[];
  layout?: string;
  /** What to change, in the words of the config (`keyboard.gs = 'down'`) or the scanner's manual. */
  suggestions: string[];
}

export interface ListenOptions {
  device: HidDeviceInfo;
  /** Scanner options to listen with (what the terminal config says), ids and type added. */
  options?: Record<string, unknown>;
  /** Give up after this long without any report. @default 30000 */
  timeoutMs?: number;
  /** The scan is over after this long without a report. @default 400 */
  quietMs?: number;
  hid?: HidApi;
  now?: () => number;
  /** Called once the device is open and listening. */
  onListening?: () => void;
}

/** The source type that fits an interface: HID POS on page 0x8C, else a keyboard. */
export function modeOf(device: HidDeviceInfo): 'hid-pos' | 'keyboard-wedge' {
  return device.usagePage === 0x8c ? 'hid-pos' : 'keyboard-wedge';
}

/**
 * Opens one scanner through the real driver stack, records the raw reports of the next scan and
 * what the driver made of them, and says which setting explains what it saw. For technicians at
 * the terminal (`veriterm devices --listen`); nothing is written to the device except the
 * feature reports its quirks need.
 */
export async function listenForScan(o: ListenOptions): Promise<ListenResult> {
  const hid = o.hid ?? nodeHidApi;
  const now = o.now ?? Date.now;
  const reports: { at: number; bytes: Buffer }[] = [];
  let lastReportAt = 0;
  // A device that never stops sending must not fill memory: one scan is far below this.
  const maxReports = 10_000;
  const tapped: HidApi = {
    devices: () => hid.devices(),
    open: async (path) =>
      tap(await hid.open(path), (bytes) => {
        reports.push({ at: now(), bytes });
        lastReportAt = Date.now();
      }),
    ...(hid.reportDescriptor
      ? { reportDescriptor: (info: HidDeviceInfo) => hid.reportDescriptor!(info) }
      : {}),
  };
  const mode = modeOf(o.device);
  const source = createScannerSource(
    {
      ...o.options,
      type: mode,
      vendorId: o.device.vendorId,
      productId: o.device.productId,
      ...(o.device.path ? { path: o.device.path } : {}),
      debounceMs: 0,
    } as ScannerOptionsInput,
    { hid: tapped, now },
  );
  const scans: Scan[] = [];
  const errors: { code: string; message: string }[] = [];
  source.on('scan', (s) => scans.push(s));
  source.on('error', (e) => errors.push({ code: e.code, message: e.message }));
  const connected = new Promise<void>((resolve) => source.once('connected', () => resolve()));
  await source.start();
  const started = Date.now();
  const timeoutMs = o.timeoutMs ?? 30_000;
  const quietMs = o.quietMs ?? 400;
  try {
    await Promise.race([connected, sleep(timeoutMs)]);
    if (source.state === 'connected') o.onListening?.();
    while (Date.now() - started < timeoutMs) {
      if (reports.length > 0 && Date.now() - lastReportAt >= quietMs) break;
      if (reports.length >= maxReports) break;
      await sleep(10);
    }
  } finally {
    await source.stop();
  }
  const first = reports[0]?.at ?? 0;
  const keys =
    mode === 'keyboard-wedge'
      ? keyNames(
          reports.map((r) => r.bytes),
          o.options,
        )
      : [];
  const setup = mode === 'hid-pos' ? (source as HidPosScanner).setup : undefined;
  const result: ListenResult = {
    device: o.device,
    mode,
    reports: reports.map((r) => ({ atMs: r.at - first, hex: r.bytes.toString('hex') })),
    keys,
    scans,
    errors,
    quirks: setup?.quirks ?? scannerQuirksFor(o.device.vendorId, o.device.productId).map((q) => q.id),
    suggestions: [],
  };
  if (setup) result.layout = setup.layout.source;
  result.suggestions = suggest(
    result,
    reports.map((r) => r.bytes),
    setup?.layout.symbology ?? [],
  );
  return result;
}

function tap(device: HidDeviceLike, record: (bytes: Buffer) => void): HidDeviceLike {
  const tapped: HidDeviceLike = {
    on(event: 'data' | 'error', listener: (arg: never) => void) {
      if (event === 'data') {
        return device.on('data', (report: Buffer) => {
          record(Buffer.from(report));
          (listener as (report: Buffer) => void)(report);
        });
      }
      return device.on('error', listener as (error: Error) => void);
    },
    removeAllListeners: (event?: string) => device.removeAllListeners(event),
    close: () => device.close(),
  } as HidDeviceLike;
  if (device.sendFeatureReport) tapped.sendFeatureReport = (data) => device.sendFeatureReport!(data);
  return tapped;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MODS: [number, string][] = [
  [0x11, 'Ctrl'],
  [0x22, 'Shift'],
  [0x04, 'Alt'],
  [0x40, 'AltGr'],
];

/** Key presses by name as a US keyboard reads them: what the scanner pressed, not what it meant. */
function keyNames(reports: Buffer[], options: Record<string, unknown> | undefined): string[] {
  const reportId = typeof options?.reportId === 'number' ? options.reportId : undefined;
  const names: string[] = [];
  let down = new Set<number>();
  for (const report of reports) {
    const body = reportId === undefined ? report : report.subarray(1);
    if (body.length < 3) continue;
    const keys = [...body.subarray(2, 8)].filter((k) => k !== 0 && k !== 1);
    const mods = MODS.filter(([bits]) => (body[0]! & bits) !== 0).map(([, n]) => n);
    for (const usage of keys) {
      if (down.has(usage)) continue;
      const event = new BootKeyboardDecoder({ capsLock: 'ignore' }).decode(
        Buffer.from([0, 0, usage, 0, 0, 0, 0, 0]),
      );
      const name = describeKey(event[0], usage);
      names.push([...mods, name].join('+'));
    }
    down = new Set(keys);
  }
  return names;
}

function describeKey(event: KeyEvent | undefined, usage: number): string {
  if (usage === 0x39) return 'CapsLock';
  if (!event) return `0x${usage.toString(16)}`;
  if (event.kind === 'enter') return 'Enter';
  if (event.kind === 'tab') return 'Tab';
  if (event.kind === 'key') return event.name.charAt(0).toUpperCase() + event.name.slice(1);
  return event.char === ' ' ? 'Space' : event.char.toUpperCase();
}

/** The settings that explain a capture, most useful first. */
function suggest(r: ListenResult, raw: Buffer[], aimOffsets: number[]): string[] {
  const out: string[] = [];
  const codes = new Set(r.errors.map((e) => e.code));
  if (r.reports.length === 0) {
    out.push(
      r.mode === 'hid-pos'
        ? 'No report arrived: check that the scanner is in HID POS mode (not keyboard), and for Honeywell scanners that feature report 0xFE was accepted (applied automatically for 0c2e/23d0).'
        : 'No key arrived: the scanner may be in HID POS or serial mode, or another program holds it.',
    );
    return out;
  }
  if (r.mode === 'keyboard-wedge') {
    const unmapped = r.errors.find((e) => e.code === 'unmapped_key');
    const nav = r.keys.find((k) =>
      /^(Up|Down|Left|Right|Home|End|Pageup|Pagedown|Insert|Delete|Escape|F\d+)$/.test(k),
    );
    if (unmapped || nav) {
      const key = (nav ?? 'down').toLowerCase();
      out.push(
        `This scanner sends GS as ${nav ?? 'a key that types nothing'}: set keyboard.gs = '${key}', or program the scanner to send GS (FNC1) as Ctrl+] (Honeywell: Ctrl+] in the data-format editor; Zebra: 'FN1 Substitution' off).`,
      );
    }
    if (
      codes.has('no_suffix') ||
      !r.keys.some((k) => k === 'Enter' || k === 'Tab' || k === 'Ctrl+M' || k === 'Ctrl+J')
    )
      out.push(
        "No suffix key ended the scan: program the scanner to add a CR suffix (Enter), or set suffix: 'none'.",
      );
    if (r.keys.includes('Ctrl+M'))
      out.push('CR arrives as Ctrl+M (Symbol-family default): read as Enter, nothing to change.');
    if (r.keys.some((k) => k.startsWith('AltGr+')))
      out.push(
        "AltGr is used: the scanner is set to a European keyboard layout: set keyboard.layout ('de', 'fr', 'be', 'ch', 'es', 'it') to match, or program the scanner to US.",
      );
    const shiftedDigits = r.keys.filter((k) => /^Shift\+[0-9]$/.test(k)).length;
    const plainDigits = r.keys.filter((k) => /^[0-9]$/.test(k)).length;
    if (shiftedDigits > 2 && shiftedDigits > plainDigits)
      out.push(
        "Digits arrive as Shift + the top row: the scanner is set to AZERTY: set keyboard.layout = 'fr' (or 'be'), or program the scanner to US.",
      );
    if (r.keys.includes('CapsLock'))
      out.push(
        "The scanner presses Caps Lock itself: keyboard.capsLock = 'track' (the default) applies it to letters.",
      );
    if (r.keys.some((k) => /^Alt\+/.test(k)))
      out.push(
        'Characters arrive as Alt+keypad codes: Alt+0NNN is read as windows-1252, Alt+NNN as keyboard.altCodePage (cp437 by default).',
      );
    return out;
  }
  if (codes.has('incomplete'))
    out.push(
      "A scan ended with 'continued' set and nothing after it (generic JieLi firmware does this on a final 56-byte report): set fullReportMayEndChain: true.",
    );
  const aimBytes = raw[0] ? aimOffsets.map((o) => readBits(raw[0]!.subarray(1), o, 8)) : [];
  if (aimBytes.some((b) => b !== 0) && r.scans.every((s) => s.symbology === undefined))
    out.push(
      `The symbology bytes (${Buffer.from(aimBytes).toString('latin1')}) are not an AIM id: this scanner puts data where the AIM id is expected. Set layout: { reportId, byteCountOffset: 0, dataOffset: 1, dataBytes: 56 } (no AIM bytes) or aimOffset to where its AIM id is.`,
    );
  if (raw.some((b) => b.length > 0) && r.scans.length === 0 && r.errors.length === 0)
    out.push(
      'Reports arrived but none was a scanned-data report the layout knows: check the report id (layout.reportId).',
    );
  return out;
}
