import { z } from 'zod';
import { FakePrinter } from './fake-printer.js';
import { FilePrinter } from './file-printer.js';
import { NetworkPrinter } from './network-printer.js';
import { SerialPrinter } from './serial-printer.js';
import type { StreamPrinter } from './stream-printer.js';
import { UsbPrinter, type WebUsbDeviceLike } from './usb-printer.js';

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

/** Printer options as they appear in the terminal config (one schema, the source of the type). */
export const printerOptionsSchema = z.discriminatedUnion('transport', [
  z.object({
    transport: z.literal('network'),
    host: z.string().min(1),
    /** @default 9100 */
    port: z.number().int().min(1).max(65_535).default(9100),
    /** @default 3000 */
    connectTimeoutMs: z.number().int().min(10).default(3000),
    ...common,
  }),
  z.object({
    transport: z.literal('serial'),
    path: z.string().min(1),
    /** @default 9600 */
    baudRate: z.number().int().positive().default(9600),
    /** @default false */
    rtscts: z.boolean().default(false),
    ...common,
  }),
  z.strictObject({
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
  }),
  z.object({ transport: z.literal('file'), path: z.string().min(1), ...common }),
  /** The simulated in-memory printer (demo). */
  z.object({ transport: z.literal('fake'), ...common }),
]);

export type PrinterOptions = z.input<typeof printerOptionsSchema>;
export type ResolvedPrinterOptions = z.output<typeof printerOptionsSchema>;

export interface PrinterFactoryDeps {
  /** Finds the USB device (a fake WebUSB device in tests). */
  findUsbDevice?: () => Promise<WebUsbDeviceLike | undefined>;
  /** serialport binding (SerialPortMock.binding in tests). */
  serialBinding?: unknown;
}

/**
 * Builds the printer a config names. Throws a zod error naming every bad field; does not open
 * the printer (call `start()`, which never throws because the printer is unreachable).
 */
export function createPrinter(options: PrinterOptions, deps: PrinterFactoryDeps = {}): StreamPrinter {
  const o = printerOptionsSchema.parse(options);
  const timing = {
    pollIntervalMs: o.pollIntervalMs,
    statusTimeoutMs: o.statusTimeoutMs,
    writeTimeoutMs: o.writeTimeoutMs,
  };
  switch (o.transport) {
    case 'network':
      return new NetworkPrinter(o.id, {
        host: o.host,
        port: o.port,
        connectTimeoutMs: o.connectTimeoutMs,
        ...timing,
      });
    case 'serial':
      return new SerialPrinter(o.id, {
        path: o.path,
        baudRate: o.baudRate,
        rtscts: o.rtscts,
        ...(deps.serialBinding ? { binding: deps.serialBinding } : {}),
        ...timing,
      });
    case 'usb':
      return new UsbPrinter(o.id, {
        ...(o.vendorId !== undefined ? { vendorId: o.vendorId } : {}),
        ...(o.productId !== undefined ? { productId: o.productId } : {}),
        ...(o.serialNumber !== undefined ? { serialNumber: o.serialNumber } : {}),
        ...(deps.findUsbDevice ? { findDevice: deps.findUsbDevice } : {}),
        protocol: o.protocol,
        ...timing,
      });
    case 'file':
      return new FilePrinter(o.id, { path: o.path, ...timing });
    case 'fake':
      return new FakePrinter(o.id, timing);
  }
}
