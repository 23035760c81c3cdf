import { PrinterError } from './errors.js';
import { SimulatedPrinterDevice } from './simulated-device.js';
import { USB_CLASS_PRINTER, type WebUsbConfigurationLike, type WebUsbDeviceLike } from './usb-printer.js';

/**
 * A WebUSB device that looks like a USB receipt printer (interface 0 of class 7, or vendor class
 * 255, with bulk OUT endpoint 1 and bulk IN endpoint 2 unless told otherwise). Bytes sent to bulk OUT go
 * to a SimulatedPrinterDevice; its DLE EOT answers come back through pending bulk IN transfers.
 * Inject it with `new UsbPrinter(id, { findDevice: async () => fake })`.
 */
export class FakeUsbPrinterDevice implements WebUsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly productName = 'Fake USB receipt printer';
  readonly serialNumber = 'FAKE0001';
  readonly device: SimulatedPrinterDevice;
  readonly configurations: WebUsbConfigurationLike[];
  configuration: WebUsbConfigurationLike | null = null;
  opened = false;
  claimed = new Set<number>();
  /** Bulk OUT transfers in order (what the host sent). */
  readonly transfers: Uint8Array[] = [];
  private inbox: number[] = [];
  private readers: { resolve: (data: DataView) => void; reject: (error: Error) => void; length: number }[] =
    [];

  private readonly outEndpoint: number;
  private readonly inEndpoint: number;

  constructor(
    ids: {
      vendorId?: number;
      productId?: number;
      /** 7 = printer class; 255 = vendor class, as Epson TM-T20/TM-T88V can enumerate. @default 7 */
      interfaceClass?: number;
      /** Bulk endpoint numbers, as the device's descriptor lists them. @default { out: 1, in: 2 } */
      endpoints?: { out: number; in: number };
    } = {},
  ) {
    this.vendorId = ids.vendorId ?? 0x04b8;
    this.productId = ids.productId ?? 0x0202;
    const interfaceClass = ids.interfaceClass ?? USB_CLASS_PRINTER;
    this.outEndpoint = ids.endpoints?.out ?? 1;
    this.inEndpoint = ids.endpoints?.in ?? 2;
    this.configurations = [
      {
        configurationValue: 1,
        interfaces: [
          {
            interfaceNumber: 0,
            alternate: {
              interfaceClass,
              endpoints: [
                { endpointNumber: this.outEndpoint, direction: 'out', type: 'bulk' },
                { endpointNumber: this.inEndpoint, direction: 'in', type: 'bulk' },
              ],
            },
          },
        ],
      },
    ];
    this.device = new SimulatedPrinterDevice((bytes) => {
      this.inbox.push(...bytes);
      this.flush();
    });
  }

  async open(): Promise<void> {
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
    this.claimed.clear();
    // Closing a WebUSB device aborts its pending transfers.
    for (const reader of this.readers.splice(0)) reader.reject(new Error('device closed'));
  }

  async selectConfiguration(value: number): Promise<void> {
    this.configuration = this.configurations.find((c) => c.configurationValue === value) ?? null;
  }

  async claimInterface(n: number): Promise<void> {
    if (!this.opened) throw new Error('device not open');
    this.claimed.add(n);
  }

  async releaseInterface(n: number): Promise<void> {
    this.claimed.delete(n);
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<{ status: string; bytesWritten: number }> {
    this.check(endpoint, this.outEndpoint);
    const copy = new Uint8Array(data);
    this.transfers.push(copy);
    this.device.receive(copy);
    return { status: 'ok', bytesWritten: copy.length };
  }

  transferIn(endpoint: number, length: number): Promise<{ status: string; data?: DataView }> {
    this.check(endpoint, this.inEndpoint);
    return new Promise((resolve, reject) => {
      this.readers.push({ resolve: (data) => resolve({ status: 'ok', data }), reject, length });
      this.flush();
    });
  }

  /** Simulates unplugging: pending and later transfers fail. */
  unplug(): void {
    this.opened = false;
    for (const reader of this.readers.splice(0)) reader.reject(new Error('LIBUSB_ERROR_NO_DEVICE'));
  }

  /** All bytes the host sent, joined. */
  get sentBytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.transfers));
  }

  private check(endpoint: number, expected: number): void {
    if (!this.opened || !this.claimed.has(0)) {
      throw new PrinterError('printer_offline', 'transfer on a closed device or unclaimed interface');
    }
    if (endpoint !== expected)
      throw new PrinterError('printer_write_failed', `no endpoint ${endpoint} in that direction`);
  }

  private flush(): void {
    while (this.inbox.length > 0 && this.readers.length > 0) {
      const reader = this.readers.shift()!;
      const chunk = Uint8Array.from(this.inbox.splice(0, reader.length));
      reader.resolve(new DataView(chunk.buffer));
    }
  }
}
