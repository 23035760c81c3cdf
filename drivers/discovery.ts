import { type DeviceRole, fingerprintOf, type PrinterProtocol } from './fingerprints.js';
import { type HidDeviceInfo, nodeHidApi } from './scanner/hid/hid-device.js';
import { scannerQuirksFor } from './scanner/quirks.js';

/** One serial port as serialport's `list()` reports it. */
export interface SerialListEntry {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  pnpId?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/** One USB device with the interface classes of its configurations (7 = printer). */
export interface UsbListEntry {
  vendorId: number;
  productId: number;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  deviceClass?: number | undefined;
  interfaceClasses: number[];
}

export interface DiscoveredDevice {
  kind: 'serial' | 'hid' | 'usb-printer';
  /** Device node or stable path to configure (`/dev/serial/by-id/…` when it exists). */
  path?: string | undefined;
  vendorId?: number | undefined;
  productId?: number | undefined;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
  /** From the fingerprint table or the HID usage page. */
  role?: DeviceRole | undefined;
  vendor?: string | undefined;
  /** The scanner source type that fits (`hid-pos`, `keyboard-wedge`, `serial`). */
  scannerType?: 'serial' | 'hid-pos' | 'keyboard-wedge' | undefined;
  /** Model names from the fingerprint table. */
  model?: string | undefined;
  /** Quirks the scanner driver applies to this device (drivers/scanner/quirks.ts). */
  quirks?: { id: string; effect: string }[] | undefined;
  /** Printers: command language and the receipt profile that fits. */
  protocol?: PrinterProtocol | undefined;
  profile?: string | undefined;
  /** USB printers: the interface is vendor class (255), not printer class (7). */
  vendorClass?: boolean | undefined;
}

export interface DiscoveryResult {
  serial: DiscoveredDevice[];
  hid: DiscoveredDevice[];
  usbPrinters: DiscoveredDevice[];
  /** Why a bus could not be listed (no USB bus on a VM, no permission): not failures. */
  notes: string[];
}

export interface DiscoveryDeps {
  listSerial?: () => Promise<SerialListEntry[]>;
  listHid?: () => Promise<HidDeviceInfo[]>;
  listUsb?: () => Promise<UsbListEntry[]>;
}

const USB_CLASS_PRINTER = 7;

async function defaultListSerial(): Promise<SerialListEntry[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

/** The slice of a WebUSB USBDevice read here (its ambient DOM types are not in this build). */
interface WebUsbDeviceLike {
  vendorId: number;
  productId: number;
  deviceClass: number;
  serialNumber?: string | null;
  manufacturerName?: string | null;
  productName?: string | null;
  configurations: { interfaces: { alternates: { interfaceClass: number }[] }[] }[];
}

/** usb 3.x offers the WebUSB API: `getDevices()` with every device allowed. */
async function defaultListUsb(): Promise<UsbListEntry[]> {
  const { WebUSB } = await import('usb');
  const devices = (await new WebUSB({ allowAllDevices: true }).getDevices()) as unknown as WebUsbDeviceLike[];
  return devices.map((d) => ({
    vendorId: d.vendorId,
    productId: d.productId,
    serialNumber: d.serialNumber ?? undefined,
    manufacturer: d.manufacturerName ?? undefined,
    product: d.productName ?? undefined,
    deviceClass: d.deviceClass,
    interfaceClasses: d.configurations.flatMap((c) =>
      c.interfaces.flatMap((i) => i.alternates.map((a) => a.interfaceClass)),
    ),
  }));
}

const hexId = (s: string | undefined) =>
  s && /^[0-9a-f]{1,4}$/i.test(s) ? Number.parseInt(s, 16) : undefined;

function serialDevice(p: SerialListEntry): DiscoveredDevice {
  const vendorId = hexId(p.vendorId);
  const productId = hexId(p.productId);
  const print = fingerprintOf(vendorId, productId);
  // udev names /dev/serial/by-id links after the pnpId: stable across replugs, unlike ttyACM0.
  const path = p.pnpId ? `/dev/serial/by-id/${p.pnpId}` : p.path;
  return {
    kind: 'serial',
    path,
    vendorId,
    productId,
    serialNumber: p.serialNumber,
    manufacturer: p.manufacturer,
    role: print?.role,
    vendor: print?.vendor,
    scannerType: print?.role === 'printer' ? undefined : 'serial',
  };
}

function hidDevice(d: HidDeviceInfo): DiscoveredDevice {
  const print = fingerprintOf(d.vendorId, d.productId);
  const pos = d.usagePage === 0x8c;
  const keyboard = d.usagePage === 0x01 && d.usage === 0x06;
  const scannerType = pos ? 'hid-pos' : keyboard && print?.role === 'scanner' ? 'keyboard-wedge' : undefined;
  // HID POS quirks only matter on the HID POS interface.
  const quirks = pos
    ? scannerQuirksFor(d.vendorId, d.productId)
        .filter((q) => q.hidPos)
        .map((q) => ({ id: q.id, effect: q.effect }))
    : [];
  return {
    kind: 'hid',
    path: d.path,
    vendorId: d.vendorId,
    productId: d.productId,
    serialNumber: d.serialNumber,
    manufacturer: d.manufacturer,
    product: d.product,
    usagePage: d.usagePage,
    usage: d.usage,
    role: pos ? 'scanner' : print?.role,
    vendor: print?.vendor,
    model: print?.model,
    scannerType,
    ...(quirks.length > 0 ? { quirks } : {}),
  };
}

function usbPrinter(d: UsbListEntry): DiscoveredDevice | undefined {
  const print = fingerprintOf(d.vendorId, d.productId);
  const isPrinterClass =
    d.deviceClass === USB_CLASS_PRINTER || d.interfaceClasses.includes(USB_CLASS_PRINTER);
  if (!isPrinterClass && print?.role !== 'printer') return undefined;
  return {
    kind: 'usb-printer',
    vendorId: d.vendorId,
    productId: d.productId,
    serialNumber: d.serialNumber,
    manufacturer: d.manufacturer,
    product: d.product,
    role: 'printer',
    vendor: print?.vendor,
    model: print?.model,
    protocol: print?.protocol ?? 'escpos',
    profile: print?.profile,
    vendorClass: !isPrinterClass,
  };
}

async function attempt<T>(what: string, list: () => Promise<T[]>, notes: string[]): Promise<T[]> {
  try {
    return await list();
  } catch (error) {
    notes.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

/**
 * Lists serial ports, HID interfaces (with usage page) and USB printers, marking known scanner and
 * printer vendors. A bus that cannot be listed (no USB on a VM, missing permission) becomes a note,
 * never an exception: discovery must run anywhere.
 */
export async function discoverDevices(deps: DiscoveryDeps = {}): Promise<DiscoveryResult> {
  const notes: string[] = [];
  const [serial, hid, usb] = await Promise.all([
    attempt('serial ports', deps.listSerial ?? defaultListSerial, notes),
    attempt('HID devices', deps.listHid ?? (() => nodeHidApi.devices()), notes),
    attempt('USB devices', deps.listUsb ?? defaultListUsb, notes),
  ]);
  return {
    serial: serial.map(serialDevice),
    hid: hid.map(hidDevice),
    usbPrinters: usb.map(usbPrinter).filter((d): d is DiscoveredDevice => d !== undefined),
    notes,
  };
}
