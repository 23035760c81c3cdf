import { z } from 'zod';

const common = {
  /** Stable id used in health (`printer:<id>`) and the print queue. @default 'receipt' */
  id: z.string().min(1).default('receipt'),
  /** Receipt profile id (terminal/receipts): epson-tm-t88, xprinter-58, xprinter-80, pos-58, generic. @default 'generic' */
  profile: z.string().min(1).default('generic'),
  /** DLE EOT poll interval; also how often an unreachable printer is retried. @default 2000 */
  pollIntervalMs: z.number().int().min(50).default(2000),
  /** @default 1000 */
  statusTimeoutMs: z.number().int().min(10).default(1000),
  /** @default 10000 */
  writeTimeoutMs: z.number().int().min(10).default(10_000),
};

const usbId = z.number().int().min(0).max(0xffff);

export const networkPrinterOptionsSchema = z.strictObject({
  transport: z.literal('network'),
  host: z.string().min(1),
  /** @default 9100 */
  port: z.number().int().min(1).max(65_535).default(9100),
  /** @default 3000 */
  connectTimeoutMs: z.number().int().min(10).default(3000),
  ...common,
});

export const serialPrinterOptionsSchema = z.strictObject({
  transport: z.literal('serial'),
  path: z.string().min(1),
  /** @default 9600 */
  baudRate: z.number().int().positive().default(9600),
  /** @default false */
  rtscts: z.boolean().default(false),
  ...common,
});

export const usbPrinterOptionsSchema = z.strictObject({
  transport: z.literal('usb'),
  /** With productId: the printer, even on a vendor-class (255) interface (Epson TM-T20/TM-T88V). */
  vendorId: usbId.optional(),
  productId: usbId.optional(),
  serialNumber: z.string().optional(),
  /**
   * `auto` refuses printers fingerprinted as non-ESC/POS (Star TSP100/TSP143 speak Star
   * Graphics); `escpos` for a printer switched to ESC/POS emulation. @default 'auto'
   */
  protocol: z.enum(['auto', 'escpos']).default('auto'),
  ...common,
});

/** Receipts appended to a file (tests, a printer-less lane). */
export const filePrinterOptionsSchema = z.strictObject({
  transport: z.literal('file'),
  path: z.string().min(1),
  ...common,
});

/** The simulated in-memory printer (demo). */
export const fakePrinterOptionsSchema = z.strictObject({ transport: z.literal('fake'), ...common });

/**
 * One printer's options as the terminal config holds them (the source of the type). Every
 * transport's object is strict: a typo (`prot`, `baudrate`) is refused, not ignored.
 */
export const printerOptionsSchema = z.discriminatedUnion('transport', [
  networkPrinterOptionsSchema,
  serialPrinterOptionsSchema,
  usbPrinterOptionsSchema,
  filePrinterOptionsSchema,
  fakePrinterOptionsSchema,
]);

export type PrinterOptions = z.input<typeof printerOptionsSchema>;
export type ResolvedPrinterOptions = z.output<typeof printerOptionsSchema>;
