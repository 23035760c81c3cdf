import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/** What node-hid's `devices()` says about one HID interface. */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  release?: number | undefined;
  interface?: number | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

/**
 * The parts of node-hid's `HIDAsync` the scanner sources use. node-hid starts its read thread
 * when a `data` listener is added, emits each input report as a Buffer (report id first when
 * the device numbers its reports), and emits `error` when a read fails, which is how an unplug
 * shows up on hidraw.
 */
export interface HidDeviceLike {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  close(): Promise<void>;
  /**
   * Sends a feature report (first byte = report id), as node-hid's `HIDAsync.sendFeatureReport`;
   * resolves to the bytes written. Needed only by devices with a feature-report quirk.
   */
  sendFeatureReport?(data: number[] | Buffer): Promise<number>;
}

/** Enumeration and opening, as node-hid does them; tests pass a fake bus with the same shape. */
export interface HidApi {
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidDeviceLike>;
  /**
   * The raw HID report descriptor of an interface, when the platform exposes it (Linux hidraw:
   * /sys/class/hidraw/hidrawN/device/report_descriptor). node-hid 3.4 has no call for it.
   */
  reportDescriptor?(info: HidDeviceInfo): Promise<Buffer | undefined>;
}

/** Reads the report descriptor of a Linux hidraw node from sysfs (undefined elsewhere). */
export async function readSysfsReportDescriptor(info: HidDeviceInfo): Promise<Buffer | undefined> {
  if (!info.path || !/^\/dev\/hidraw\d+$/.test(info.path)) return undefined;
  try {
    return await readFile(`/sys/class/hidraw/${basename(info.path)}/device/report_descriptor`);
  } catch {
    return undefined;
  }
}

/** node-hid, loaded on first use so that importing the drivers never loads the native addon. */
export const nodeHidApi: HidApi = {
  async devices() {
    const hid = await import('node-hid');
    return (await hid.devicesAsync()) as HidDeviceInfo[];
  },
  async open(path: string) {
    const hid = await import('node-hid');
    // nonExclusive: the kernel keyboard driver may hold the wedge scanner's interface too.
    return (await hid.HIDAsync.open(path, { nonExclusive: true })) as unknown as HidDeviceLike;
  },
  reportDescriptor: readSysfsReportDescriptor,
};
