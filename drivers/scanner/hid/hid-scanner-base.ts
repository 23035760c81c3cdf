import { usbDeviceId } from '../backoff.js';
import type { BaseScannerDeps, BaseScannerOptions } from '../base-scanner.js';
import type { ReconnectOptions } from '../options.js';
import { ReconnectingScannerSource } from '../reconnecting-scanner.js';
import { type HidApi, type HidDeviceInfo, type HidDeviceLike, nodeHidApi } from './hid-device.js';

export interface HidScannerDeps extends BaseScannerDeps {
  /** Enumerate/open HID devices. @default node-hid (`devicesAsync`, `HIDAsync.open`) */
  hid?: HidApi;
}

export interface HidScannerOptions extends BaseScannerOptions {
  deviceId?: string | undefined;
  vendorId: number;
  productId: number;
  serialNumber?: string | undefined;
  path?: string | undefined;
  reconnect: ReconnectOptions;
}

/** An open HID interface and what enumeration said about it. */
interface OpenHidDevice {
  device: HidDeviceLike;
  info: HidDeviceInfo;
}

/**
 * Finding, opening and re-opening one HID interface, shared by the HID POS and keyboard-wedge
 * sources. The device is matched by vendor:product(:serial) on every open, never by its hidraw
 * number (which changes on replug); an `error` from node-hid's read thread is an unplug.
 */
export abstract class HidScannerBase extends ReconnectingScannerSource<OpenHidDevice> {
  protected readonly hid: HidApi;
  readonly #match: HidScannerOptions;
  #lastSetupFailure: string | undefined;

  constructor(options: HidScannerOptions, deps: HidScannerDeps = {}) {
    super(
      options.deviceId ?? usbDeviceId(options.vendorId, options.productId, options.serialNumber),
      options,
      deps,
    );
    this.#match = options;
    this.hid = deps.hid ?? nodeHidApi;
  }

  /** Whether this HID interface is the one to read (usage page/usage), given several on one device. */
  protected abstract wantsInterface(info: HidDeviceInfo): boolean;
  /** Called after open, before reports flow (read the descriptor, send feature reports, reset decoders). */
  protected abstract prepare(info: HidDeviceInfo, device: HidDeviceLike): Promise<void>;
  /** One input report as node-hid delivers it. */
  protected abstract onReport(report: Buffer, receivedAt: number): void;
  /** Device gone or stopped: drop partial input. */
  protected abstract resetInput(): void;

  protected override onStopped(): void {
    this.resetInput();
  }

  async #find(): Promise<HidDeviceInfo | undefined> {
    const m = this.#match;
    const candidates = (await this.hid.devices()).filter(
      (d) =>
        d.vendorId === m.vendorId &&
        d.productId === m.productId &&
        (m.serialNumber === undefined || d.serialNumber === m.serialNumber) &&
        (m.path === undefined || d.path === m.path) &&
        d.path !== undefined,
    );
    // Prefer the interface with the right usage page; backends that do not report usage pages
    // (libusb) leave it undefined, then the first interface is the best guess.
    return (
      candidates.find((d) => this.wantsInterface(d)) ?? candidates.find((d) => d.usagePage === undefined)
    );
  }

  protected async open(): Promise<OpenHidDevice | undefined> {
    const info = await this.#find();
    if (!info?.path) return undefined;
    return { device: await this.hid.open(info.path), info };
  }

  protected async discard({ device }: OpenHidDevice): Promise<void> {
    await device.close().catch(() => {});
  }

  protected async serve({ device, info }: OpenHidDevice): Promise<string> {
    this.resetInput();
    try {
      await this.prepare(info, device);
    } catch (error) {
      await device.close().catch(() => {});
      // Never "connected and silent": a device that cannot be set up is reported, once per
      // distinct reason (the reopen loop retries every few seconds; the log must not grow with it).
      const reason = `could not prepare device: ${(error as Error).message}`;
      if (reason !== this.#lastSetupFailure) this.reportError('device_setup_failed', reason);
      this.#lastSetupFailure = reason;
      return reason;
    }
    this.#lastSetupFailure = undefined;
    return new Promise<string>((resolve) => {
      let finished = false;
      const finish = (reason: string) => {
        if (finished) return;
        finished = true;
        this.whileServing(undefined);
        device.removeAllListeners('data');
        device.removeAllListeners('error');
        this.resetInput();
        device.close().then(
          () => resolve(reason),
          () => resolve(reason),
        );
      };
      this.whileServing(finish);
      device.on('error', (error: Error) => finish(`HID read failed: ${error.message}`));
      device.on('data', (report: Buffer) => {
        if (!finished) this.onReport(report, this.now());
      });
      this.markConnected();
    });
  }
}
