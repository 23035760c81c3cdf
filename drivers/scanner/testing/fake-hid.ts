import { EventEmitter } from 'node:events';
import type { HidApi, HidDeviceInfo, HidDeviceLike } from '../hid/hid-device.js';

/**
 * Fakes below the node-hid API, shipped beside the adapters like @serialport/binding-mock: a
 * bus of HID interfaces with descriptors, feature reports and a clock the caller moves. Tests
 * and `veriterm devices --listen` replays use them; nothing here touches hardware.
 */

/** A clock the test moves: report arrival times are what the fake says, not wall time. */
export class FakeClock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * One open handle, as node-hid's HIDAsync: `data` per input report, `error` when a read fails,
 * `sendFeatureReport` (report id first) resolving to the bytes written.
 */
class FakeHandle extends EventEmitter implements HidDeviceLike {
  closed = false;
  constructor(readonly device: FakeHidDevice) {
    super();
  }
  async close(): Promise<void> {
    this.closed = true;
    this.removeAllListeners();
    this.device.handles.delete(this);
  }
  async sendFeatureReport(data: number[] | Buffer): Promise<number> {
    if (this.closed) throw new Error('device has been closed');
    const report = Buffer.from(data);
    this.device.featureReports.push(report);
    return report.length;
  }
}

export interface FakeHidDeviceOptions {
  /**
   * Reports go out only once this feature report was set (report id first), as on Honeywell
   * composite devices that send scans to their keyboard interface until 0xFE = 1.
   */
  requiresFeatureReport?: readonly number[];
}

/** One HID interface of a fake USB device: its enumeration info, report descriptor and reports. */
export class FakeHidDevice {
  readonly handles = new Set<FakeHandle>();
  /** Every report sent, for assertions about what a device "said". */
  readonly sent: Buffer[] = [];
  /** Feature reports the host set, in order. */
  readonly featureReports: Buffer[] = [];

  constructor(
    public info: HidDeviceInfo,
    readonly descriptor?: Buffer,
    readonly options: FakeHidDeviceOptions = {},
  ) {}

  /** Whether input reports reach this interface now (see `requiresFeatureReport`). */
  get redirected(): boolean {
    const needed = this.options.requiresFeatureReport;
    if (!needed) return true;
    return this.featureReports.some((r) => r.equals(Buffer.from(needed)));
  }

  /**
   * Replays input reports as the device would send them, one per USB poll: each report arrives
   * `gapMs` after the previous one on the fake clock, and the event loop turns between reports
   * (node-hid delivers each read through a thread-safe callback).
   */
  async replay(reports: readonly Buffer[], clock: FakeClock, gapMs = 2): Promise<void> {
    for (const report of reports) {
      clock.advance(gapMs);
      this.sent.push(report);
      if (this.redirected) for (const handle of this.handles) handle.emit('data', Buffer.from(report));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * A USB bus of fake HID devices below the node-hid API (HidApi): `plug`/`unplug` as a hand at
 * the USB port would. An unplug makes every open handle's read fail with node-hid's message; a
 * replug gives the device a new hidraw path (the kernel numbers nodes on each enumeration).
 */
export class FakeHidBus implements HidApi {
  readonly #plugged = new Set<FakeHidDevice>();
  #nextNode = 3;
  opens = 0;

  plug(device: FakeHidDevice): void {
    device.info = { ...device.info, path: `/dev/hidraw${this.#nextNode++}` };
    this.#plugged.add(device);
  }

  unplug(device: FakeHidDevice): void {
    this.#plugged.delete(device);
    for (const handle of [...device.handles])
      handle.emit('error', new Error('could not read data from device'));
  }

  async devices(): Promise<HidDeviceInfo[]> {
    return [...this.#plugged].map((d) => ({ ...d.info }));
  }

  async open(path: string): Promise<HidDeviceLike> {
    const device = [...this.#plugged].find((d) => d.info.path === path);
    if (!device) throw new Error(`cannot open device with path ${path}`);
    this.opens++;
    const handle = new FakeHandle(device);
    device.handles.add(handle);
    return handle;
  }

  async reportDescriptor(info: HidDeviceInfo): Promise<Buffer | undefined> {
    return [...this.#plugged].find((d) => d.info.path === info.path)?.descriptor;
  }
}
