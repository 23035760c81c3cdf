import { z } from 'zod';

/** A USB vendor/product id as a number or a hex string (`"0x0c2e"`, `"0c2e"`), as config files write them. */
const usbId = z.union([
  z.number().int().min(0).max(0xffff),
  z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,4}$/, 'Expected a 16-bit USB id such as 0x0c2e')
    .transform((s) => Number.parseInt(s.replace(/^0x/i, ''), 16)),
]);

const common = {
  /** Stable id reported in every Scan; defaults per type (by-id path, `usb:vid:pid:serial`, `sim:scanner`). */
  deviceId: z.string().min(1).optional(),
  /** Same data from the same device within this window (ms) is one scan. @default 1500 */
  debounceMs: z.number().int().min(0).max(60_000).default(1500),
};

/** Reopen policy after an unplug: delays double from `initialDelayMs` up to `maxDelayMs`. */
const reconnect = z
  .strictObject({
    initialDelayMs: z.number().int().min(10).default(100),
    maxDelayMs: z.number().int().min(10).default(2000),
  })
  .default({ initialDelayMs: 100, maxDelayMs: 2000 });

/** Which device to open: a stable path, or USB ids resolved on every (re)open. */
const usbMatch = z.strictObject({
  vendorId: usbId,
  productId: usbId,
  /** Tells two identical scanners apart. */
  serialNumber: z.string().optional(),
});

export const simulatedScannerOptionsSchema = z.strictObject({ type: z.literal('simulated'), ...common });

export const stdinScannerOptionsSchema = z.strictObject({
  type: z.literal('stdin'),
  ...common,
  /** @default 4096 */
  maxFrameLength: z.number().int().min(1).max(1_000_000).default(4096),
});

export const serialSuffixSchema = z.enum(['CR', 'LF', 'CRLF', 'Tab', 'none']);
export type SerialSuffix = z.infer<typeof serialSuffixSchema>;

/** Serial scanner fields; `withPathOrMatch` adds the rule that one of `path`, `match` is given. */
const serialScannerFields = z.strictObject({
  type: z.literal('serial'),
  ...common,
  /** Stable device path, e.g. `/dev/serial/by-id/usb-Honeywell_…-if00` (never `/dev/ttyUSB0`: it moves). */
  path: z.string().min(1).optional(),
  /** Alternatively find the port by USB ids on every (re)open (serialport `list()`). */
  match: usbMatch.optional(),
  /** @default 9600 */
  baudRate: z.number().int().min(50).max(4_000_000).default(9600),
  /** @default 8 */
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  /** @default 'none' */
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
  /** @default 1 */
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
  /** Bytes the scanner appends to each read. `none`: a read ends after `interByteTimeoutMs` of silence. @default 'CR' */
  suffix: serialSuffixSchema.default('CR'),
  /** Silence (ms) that ends a read when `suffix` is `none`. @default 30 */
  interByteTimeoutMs: z.number().int().min(1).max(10_000).default(30),
  /** Longest accepted read in bytes; longer input is reported as `overlong` and dropped. @default 1024 */
  maxFrameLength: z.number().int().min(1).max(1_000_000).default(1024),
  /** How bytes become `Scan.data`. `latin1` maps every byte to one char (binary-safe). @default 'latin1' */
  encoding: z.enum(['latin1', 'utf8']).default('latin1'),
  reconnect,
});

function withPathOrMatch<T extends z.ZodType<{ path?: string | undefined; match?: unknown }>>(schema: T): T {
  return schema.refine((o) => o.path !== undefined || o.match !== undefined, {
    message: 'Expected `path` (a stable /dev/serial/by-id path) or `match` ({ vendorId, productId })',
    path: ['path'],
  });
}

export const serialScannerOptionsSchema = withPathOrMatch(serialScannerFields);

const hidCommon = {
  ...common,
  ...usbMatch.shape,
  /** Open this hidraw path instead of searching by ids (tests, odd hubs). */
  path: z.string().min(1).optional(),
  reconnect,
};

/** A scanned-data report layout in byte offsets (report body, id stripped); see drivers/scanner/quirks.ts. */
const hidPosLayoutSchema = z.strictObject({
  reportId: z.number().int().min(0).max(255),
  byteCountOffset: z.number().int().min(0).max(255),
  dataOffset: z.number().int().min(0).max(255),
  dataBytes: z.number().int().min(1).max(255),
  aimOffset: z.number().int().min(0).max(255).optional(),
  continuedOffset: z.number().int().min(0).max(255).optional(),
});

export const hidPosScannerOptionsSchema = z.strictObject({
  type: z.literal('hid-pos'),
  ...hidCommon,
  /** Longest accepted reassembled read in bytes. @default 8192 */
  maxFrameLength: z.number().int().min(1).max(1_000_000).default(8192),
  /** How bytes become `Scan.data`. @default 'latin1' */
  encoding: z.enum(['latin1', 'utf8']).default('latin1'),
  /**
   * Silence (ms) after a report flagged "continued" that closes the chain: a scan when the device
   * may end on a full report, else an `incomplete` error. Real chains arrive within a few ms. @default 200
   */
  chainTimeoutMs: z.number().int().min(10).max(5000).default(200),
  /** The scanner sets "continued" on a final full report (generic JieLi firmware). @default from the quirk table */
  fullReportMayEndChain: z.boolean().optional(),
  /** The scanned-data report layout, when neither the descriptor nor the quirk table gets it right. */
  layout: hidPosLayoutSchema.optional(),
  /** Body byte of the 3 AIM bytes (`none`: the device sends none), applied to whatever layout is in use. */
  aimOffset: z.union([z.number().int().min(0).max(255), z.literal('none')]).optional(),
  /** `auto` removes one trailing CR, LF or CRLF the scanner appends in HID POS mode; `none` keeps data as sent. @default 'auto' */
  suffix: z.enum(['auto', 'none']).default('auto'),
  /** Apply the quirk table (feature reports, layouts) for this device's USB ids. @default true */
  quirks: z.boolean().default(true),
});

/** Keys a scanner may be set to send instead of GS (HID Usage Tables §10 names, lower case). */
export const NAMED_KEYS = [
  'up',
  'down',
  'left',
  'right',
  'home',
  'end',
  'pageup',
  'pagedown',
  'insert',
  'delete',
  'escape',
  'backspace',
  ...Array.from({ length: 12 }, (_, i) => `f${i + 1}`),
] as const;
export type NamedKey = (typeof NAMED_KEYS)[number];

/** The scanner's own keyboard layout setting (which usage ids it sends for a character). */
export const KEYBOARD_LAYOUTS = ['us', 'uk', 'fr', 'be', 'de', 'ch', 'es', 'it'] as const;
export type KeyboardLayoutId = (typeof KEYBOARD_LAYOUTS)[number];

/**
 * `gs`: what the scanner sends for GS besides Ctrl+] (always accepted): a named key (`down`), a
 * Ctrl combination (`ctrl-g`, `ctrl-@`), or one character it types instead (`~`).
 */
const gsSetting = z.union([
  z.enum(NAMED_KEYS),
  z.string().regex(/^ctrl-[a-z@[\\\]^_]$/, 'Expected ctrl-<letter or @[\\]^_>'),
  z.string().length(1),
]);

export const keyboardSettingsSchema = z
  .strictObject({
    /** The scanner's keyboard layout setting (not the host's). @default 'us' */
    layout: z.enum(KEYBOARD_LAYOUTS).default('us'),
    /** What the scanner sends for GS besides Ctrl+]. */
    gs: gsSetting.optional(),
    /**
     * Caps Lock the scanner itself presses: `track` applies it to letters as a host would,
     * `ignore` drops it, `inverted` reads letters with Shift reversed (a scanner compensating
     * a host Caps Lock that is on). @default 'track'
     */
    capsLock: z.enum(['track', 'ignore', 'inverted']).default('track'),
    /** Code page of Alt+NNN codes typed without a leading 0 (Windows OEM code page; Alt+0NNN is windows-1252). @default 'cp437' */
    altCodePage: z.enum(['cp437', 'cp850', 'cp852', 'cp866']).default('cp437'),
  })
  .default({ layout: 'us', capsLock: 'track', altCodePage: 'cp437' });
export type KeyboardSettings = z.output<typeof keyboardSettingsSchema>;

export const keyboardWedgeScannerOptionsSchema = z.strictObject({
  type: z.literal('keyboard-wedge'),
  ...hidCommon,
  /** Key that ends a read (`Enter` covers CR, CRLF, Ctrl+M and Ctrl+J set-ups). `none`: a pause of `frameTimeoutMs` ends it. @default 'Enter' */
  suffix: z.enum(['Enter', 'Tab', 'none']).default('Enter'),
  /** Longest pause (ms) between key presses inside one scan; slower input is a person typing. @default 40 */
  maxInterKeyMs: z.number().int().min(1).max(1000).default(40),
  /** Pause (ms) that ends a read when `suffix` is `none`. @default 60 */
  frameTimeoutMs: z.number().int().min(1).max(5000).default(60),
  /** Shorter reads are treated as stray keys, not scans. @default 3 */
  minLength: z.number().int().min(1).default(3),
  /** @default 1024 */
  maxFrameLength: z.number().int().min(1).max(100_000).default(1024),
  /** The scanner's keyboard settings: layout, GS substitute, Caps Lock, Alt code page. */
  keyboard: keyboardSettingsSchema,
  /** @deprecated use `keyboard.gs`: one character the scanner sends instead of GS. */
  gsSubstitute: z.string().length(1).optional(),
  /** Report id byte prefixed to every report when the keyboard shares a composite device. */
  reportId: z.number().int().min(1).max(255).optional(),
});

/**
 * One scanner's options with `extra` fields of the embedding config beside them (the terminal
 * config adds `lane`): every type's object stays strict, so a typo in any field is refused.
 */
export function scannerOptionsWith<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.discriminatedUnion('type', [
    simulatedScannerOptionsSchema.extend(extra),
    stdinScannerOptionsSchema.extend(extra),
    withPathOrMatch(serialScannerFields.extend(extra)),
    hidPosScannerOptionsSchema.extend(extra),
    keyboardWedgeScannerOptionsSchema.extend(extra),
  ]);
}

/** One scanner's options (strict: unknown fields are refused). */
export const scannerOptionsSchema = scannerOptionsWith({});

/** What a config file may say (defaults optional, ids as hex strings allowed). */
export type ScannerOptionsInput = z.input<typeof scannerOptionsSchema>;
/** Options after validation and defaults. */
export type ScannerOptions = z.output<typeof scannerOptionsSchema>;
export type SerialScannerOptions = z.output<typeof serialScannerOptionsSchema>;
export type HidPosScannerOptions = z.output<typeof hidPosScannerOptionsSchema>;
export type KeyboardWedgeScannerOptions = z.output<typeof keyboardWedgeScannerOptionsSchema>;
export type ReconnectOptions = z.output<typeof reconnect>;
export type HidPosLayoutOption = z.output<typeof hidPosLayoutSchema>;
