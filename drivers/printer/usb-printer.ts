import { fingerprintOf, type PrinterProtocol } from '../fingerprints.js';
import { PrinterError } from './errors.js';
import { type Connector, StreamPrinter, type StreamPrinterOptions } from './stream-printer.js';

/** USB class code of printers (USB Printer Class 1.1, bInterfaceClass 0x07). */
export const USB_CLASS_PRINTER = 7;
/**
 * Vendor-specific class (0xFF). Epson TM-T20/TM-T88V (and the UB-U05 interface of TM-T88IV)
 * can enumerate with it instead of class 7 (apple/cups#3971; lsusb in raspberrypi/linux#722):
 * same bulk OUT/IN endpoints, same ESC/POS.
 */
export const USB_CLASS_VENDOR = 0xff;

/** The part of a WebUSB USBDevice this driver uses (usb@3's `WebUSB` devices satisfy it). */
export interface WebUsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly productName?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly opened: boolean;
  readonly configuration: WebUsbConfigurationLike | null | undefined;
  readonly configurations?: readonly WebUsbConfigurationLike[];
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<{ status: string; bytesWritten: number }>;
  transferIn(
    endpointNumber: number,
    length: number,
  ): Promise<{ status: string; data?: DataView | undefined }>;
}

export interface WebUsbConfigurationLike {
  readonly configurationValue: number;
  readonly interfaces: readonly {
    readonly interfaceNumber: number;
    readonly alternate: {
      readonly interfaceClass: number;
      readonly endpoints: readonly { endpointNumber: number; direction: 'in' | 'out'; type: string }[];
    };
  }[];
}

export interface UsbPrinterOptions extends StreamPrinterOptions {
  /** Pick the printer by ids; without them the first device with a printer-class interface. */
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  /** Finds the device (inject a fake in tests). @default usb@3's WebUSB getDevices() */
  findDevice?: () => Promise<WebUsbDeviceLike | undefined>;
  /**
   * `auto` refuses printers the fingerprint table knows speak something else than ESC/POS (Star);
   * `escpos` overrides that for a printer switched to ESC/POS emulation. @default 'auto'
   */
  protocol?: 'auto' | 'escpos';
}

/** Lists devices through usb@3's WebUSB API and picks the first printer that matches. */
export async function findUsbPrinter(options: UsbPrinterOptions): Promise<WebUsbDeviceLike | undefined> {
  const { WebUSB } = await import('usb');
  const devices = (await new WebUSB({ allowAllDevices: true }).getDevices()) as unknown as WebUsbDeviceLike[];
  return devices.find(
    (d) =>
      (options.vendorId === undefined || d.vendorId === options.vendorId) &&
      (options.productId === undefined || d.productId === options.productId) &&
      (options.serialNumber === undefined || d.serialNumber === options.serialNumber) &&
      printerInterface(d.configuration ?? d.configurations?.[0], acceptsVendorClass(d, options)) !==
        undefined,
  );
}

/**
 * A vendor-class interface is the printer's when the device is a known printer or was named by
 * its ids in the config; an unknown vendor-class device is never written to.
 */
function acceptsVendorClass(device: WebUsbDeviceLike, options: UsbPrinterOptions): boolean {
  if (options.vendorId !== undefined && options.productId !== undefined) return true;
  return fingerprintOf(device.vendorId, device.productId)?.role === 'printer';
}

function printerInterface(configuration: WebUsbConfigurationLike | null | undefined, vendorClass: boolean) {
  const interfaces = configuration?.interfaces ?? [];
  const hasBulkOut = (i: (typeof interfaces)[number]) =>
    i.alternate.endpoints.some((e) => e.direction === 'out' && e.type === 'bulk');
  return (
    interfaces.find((i) => i.alternate.interfaceClass === USB_CLASS_PRINTER) ??
    (vendorClass
      ? interfaces.find((i) => i.alternate.interfaceClass === USB_CLASS_VENDOR && hasBulkOut(i))
      : undefined)
  );
}

/** The protocol the fingerprint table gives this device; ESC/POS when unknown. */
export function usbPrinterProtocol(vendorId: number, productId: number): PrinterProtocol {
  return fingerprintOf(vendorId, productId)?.protocol ?? 'escpos';
}

const PROTOCOL_NAMES: Record<Exclude<PrinterProtocol, 'escpos'>, string> = {
  'star-graphics': 'Star Graphics (raster only)',
  'star-prnt': 'StarPRNT / Star Line',
};

/**
 * Opens the device, claims its printer-class interface and talks over its bulk endpoints:
 * ESC/POS out through bulk OUT, DLE EOT answers back through bulk IN (read in a loop).
 */
export function usbConnector(options: UsbPrinterOptions): Connector {
  return async (handlers) => {
    const device = await (options.findDevice ?? (() => findUsbPrinter(options)))();
    if (!device)
      throw new PrinterError(
        'printer_not_found',
        'No USB printer found (interface class 7, or vendor class 255 on a known printer)',
      );
    const protocol = usbPrinterProtocol(device.vendorId, device.productId);
    if (protocol !== 'escpos' && options.protocol !== 'escpos') {
      const print = fingerprintOf(device.vendorId, device.productId);
      const name = [print?.vendor, print?.model].filter(Boolean).join(' ') || 'This printer';
      throw new PrinterError(
        'printer_protocol_unsupported',
        `${name} (${hex(device.vendorId)}:${hex(device.productId)}) speaks ${PROTOCOL_NAMES[protocol]}, not ESC/POS: veriterm prints ESC/POS only. Use an ESC/POS printer, or switch this one to ESC/POS emulation and set printer.protocol: 'escpos'`,
      );
    }
    if (!device.opened) await device.open();
    if (!device.configuration)
      await device.selectConfiguration(device.configurations?.[0]?.configurationValue ?? 1);
    const iface = printerInterface(device.configuration, acceptsVendorClass(device, options));
    if (!iface) {
      await device.close().catch(() => undefined);
      throw new PrinterError(
        'printer_not_found',
        `USB device ${hex(device.vendorId)}:${hex(device.productId)} has no printer interface (class 7) and is not a known vendor-class printer: set its vendorId and productId in the printer config`,
      );
    }
    const bulkOut = iface.alternate.endpoints.find((e) => e.direction === 'out' && e.type === 'bulk');
    const bulkIn = iface.alternate.endpoints.find((e) => e.direction === 'in' && e.type === 'bulk');
    if (!bulkOut)
      throw new PrinterError('printer_not_found', 'USB printer interface has no bulk OUT endpoint');
    await device.claimInterface(iface.interfaceNumber);
    let open = true;
    const readLoop = async () => {
      while (open && bulkIn) {
        try {
          const result = await device.transferIn(bulkIn.endpointNumber, 64);
          const data = result.data;
          if (data && data.byteLength > 0)
            handlers.onData(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          // Some printers answer an empty packet at once when they have nothing to say.
          else await new Promise((resolve) => setTimeout(resolve, 20));
        } catch (error) {
          if (open) {
            open = false;
            handlers.onClose(error as Error);
          }
        }
      }
    };
    void readLoop();
    return {
      async write(bytes) {
        // Bulk transfers carry any length; chunk so one huge logo does not hit libusb limits.
        for (let offset = 0; offset < bytes.length; offset += 16_384) {
          const chunk = bytes.subarray(offset, offset + 16_384);
          const result = await device.transferOut(bulkOut.endpointNumber, chunk);
          if (result.status !== 'ok' || result.bytesWritten !== chunk.length) {
            throw new PrinterError(
              'printer_write_failed',
              `USB bulk OUT ${result.status}, ${result.bytesWritten}/${chunk.length} bytes`,
            );
          }
        }
      },
      async close() {
        open = false;
        await device.releaseInterface(iface.interfaceNumber).catch(() => undefined);
        await device.close().catch(() => undefined);
      },
    };
  };
}

function hex(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** An ESC/POS printer on USB (printer class, or vendor class on known printers), through usb@3's WebUSB API. */
export class UsbPrinter extends StreamPrinter {
  constructor(id: string, options: UsbPrinterOptions = {}) {
    super(id, usbConnector(options), options);
  }
}
