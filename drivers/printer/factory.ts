import { FakePrinter } from './fake-printer.js';
import { FilePrinter } from './file-printer.js';
import { NetworkPrinter } from './network-printer.js';
import { type PrinterOptions, printerOptionsSchema } from './options.js';
import { SerialPrinter } from './serial-printer.js';
import type { StreamPrinter } from './stream-printer.js';
import { UsbPrinter, type WebUsbDeviceLike } from './usb-printer.js';

export {
  type PrinterOptions,
  printerOptionsSchema,
  type ResolvedPrinterOptions,
} from './options.js';

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
