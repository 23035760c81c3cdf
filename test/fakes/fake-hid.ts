import { EventEmitter } from 'node:events';
import type { HidApi, HidDeviceInfo, HidDeviceLike } from '../../drivers/scanner/hid/hid-device.js';

/** A clock the test moves: report arrival times are what the fake says, not wall time. */
export class FakeClock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** One open handle, as node-hid's HIDAsync: `data` per input report, `error` when a read fails. */
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
}

/** One HID interface of a fake USB device: its enumeration info, report descriptor and reports. */
export class FakeHidDevice {
  readonly handles = new Set<FakeHandle>();
  /** Every report sent, for assertions about what a device "said". */
  readonly sent: Buffer[] = [];

  constructor(
    public info: HidDeviceInfo,
    readonly descriptor?: Buffer,
  ) {}

  /**
   * Replays input reports as the device would send them, one per USB poll: each report arrives
   * `gapMs` after the previous one on the fake clock, and the event loop turns between reports
   * (node-hid delivers each read through a thread-safe callback).
   */
  async replay(reports: readonly Buffer[], clock: FakeClock, gapMs = 2): Promise<void> {
    for (const report of reports) {
      clock.advance(gapMs);
      this.sent.push(report);
      for (const handle of this.handles) handle.emit('data', Buffer.from(report));
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
