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
  .object({
    initialDelayMs: z.number().int().min(10).default(100),
    maxDelayMs: z.number().int().min(10).default(2000),
  })
  .default({ initialDelayMs: 100, maxDelayMs: 2000 });

/** Which device to open: a stable path, or USB ids resolved on every (re)open. */
const usbMatch = z.object({
  vendorId: usbId,
  productId: usbId,
  /** Tells two identical scanners apart. */
  serialNumber: z.string().optional(),
});

export const simulatedScannerOptionsSchema = z.object({ type: z.literal('simulated'), ...common });

export const stdinScannerOptionsSchema = z.object({
  type: z.literal('stdin'),
  ...common,
  /** @default 4096 */
  maxFrameLength: z.number().int().min(1).max(1_000_000).default(4096),
});

export const serialSuffixSchema = z.enum(['CR', 'LF', 'CRLF', 'Tab', 'none']);
export type SerialSuffix = z.infer<typeof serialSuffixSchema>;

export const serialScannerOptionsSchema = z
  .object({
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
  })
  .refine((o) => o.path !== undefined || o.match !== undefined, {
    message: 'Expected `path` (a stable /dev/serial/by-id path) or `match` ({ vendorId, productId })',
    path: ['path'],
  });

const hidCommon = {
  ...common,
  ...usbMatch.shape,
  /** Open this hidraw path instead of searching by ids (tests, odd hubs). */
  path: z.string().min(1).optional(),
  reconnect,
};

export const hidPosScannerOptionsSchema = z.object({
  type: z.literal('hid-pos'),
  ...hidCommon,
  /** Longest accepted reassembled read in bytes. @default 8192 */
  maxFrameLength: z.number().int().min(1).max(1_000_000).default(8192),
  /** How bytes become `Scan.data`. @default 'latin1' */
  encoding: z.enum(['latin1', 'utf8']).default('latin1'),
});

export const keyboardWedgeScannerOptionsSchema = z.object({
  type: z.literal('keyboard-wedge'),
  ...hidCommon,
  /** Key that ends a read (`Enter` covers CR and CRLF set-ups). `none`: a pause of `frameTimeoutMs` ends it. @default 'Enter' */
  suffix: z.enum(['Enter', 'Tab', 'none']).default('Enter'),
  /** Longest pause (ms) between key presses inside one scan; slower input is a person typing. @default 40 */
  maxInterKeyMs: z.number().int().min(1).max(1000).default(40),
  /** Pause (ms) that ends a read when `suffix` is `none`. @default 60 */
  frameTimeoutMs: z.number().int().min(1).max(5000).default(60),
  /** Shorter reads are treated as stray keys, not scans. @default 3 */
  minLength: z.number().int().min(1).default(3),
  /** @default 1024 */
  maxFrameLength: z.number().int().min(1).max(100_000).default(1024),
  /** A character the scanner is configured to send instead of GS (when it cannot send Ctrl+]). */
  gsSubstitute: z.string().length(1).optional(),
  /** Report id byte prefixed to every report when the keyboard shares a composite device. */
  reportId: z.number().int().min(1).max(255).optional(),
});

/** One scanner's options; embed this in the terminal config (`scanner: scannerOptionsSchema`). */
export const scannerOptionsSchema = z.discriminatedUnion('type', [
  simulatedScannerOptionsSchema,
  stdinScannerOptionsSchema,
  serialScannerOptionsSchema,
  hidPosScannerOptionsSchema,
  keyboardWedgeScannerOptionsSchema,
]);

/** What a config file may say (defaults optional, ids as hex strings allowed). */
export type ScannerOptionsInput = z.input<typeof scannerOptionsSchema>;
/** Options after validation and defaults. */
export type ScannerOptions = z.output<typeof scannerOptionsSchema>;
export type SerialScannerOptions = z.output<typeof serialScannerOptionsSchema>;
export type HidPosScannerOptions = z.output<typeof hidPosScannerOptionsSchema>;
export type KeyboardWedgeScannerOptions = z.output<typeof keyboardWedgeScannerOptionsSchema>;
export type ReconnectOptions = z.output<typeof reconnect>;
