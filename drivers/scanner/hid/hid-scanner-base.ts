import { Backoff, pause, usbDeviceId } from '../backoff.js';
import { type BaseScannerDeps, type BaseScannerOptions, BaseScannerSource } from '../base-scanner.js';
import type { ReconnectOptions } from '../options.js';
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

/**
 * Finding, opening and re-opening one HID interface, shared by the HID POS and keyboard-wedge
 * sources. The device is matched by vendor:product(:serial) on every open, never by its hidraw
 * number (which changes on replug); an `error` from node-hid's read thread is an unplug.
 */
export abstract class HidScannerBase extends BaseScannerSource {
  protected readonly hid: HidApi;
  readonly #match: HidScannerOptions;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #closeCurrent: ((reason: string) => void) | undefined;

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
  /** Called after open, before reports flow (read the descriptor, reset decoders). */
  protected abstract prepare(info: HidDeviceInfo): Promise<void>;
  /** One input report as node-hid delivers it. */
  protected abstract onReport(report: Buffer, receivedAt: number): void;
  /** Device gone or stopped: drop partial input. */
  protected abstract resetInput(): void;

  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.setState('connecting');
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = this.#run(abort.signal);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopped');
    this.#abort?.abort();
    this.#closeCurrent?.('stopped');
    await this.#loop;
    this.#loop = undefined;
    this.resetInput();
    this.resetDebounce();
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.#match.reconnect;
    const backoff = new Backoff(initialDelayMs, maxDelayMs);
    while (!signal.aborted) {
      const opened = await this.#tryOpen();
      if (opened && signal.aborted) {
        await opened.device.close().catch(() => {});
        break;
      }
      if (opened) {
        backoff.reset();
        const reason = await this.#serve(opened.device, opened.info);
        if (signal.aborted) break;
        this.markDisconnected(reason);
      }
      await pause(backoff.next(), signal);
    }
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

  async #tryOpen(): Promise<{ device: HidDeviceLike; info: HidDeviceInfo } | undefined> {
    try {
      const info = await this.#find();
      if (!info?.path) return undefined;
      const device = await this.hid.open(info.path);
      return { device, info };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A device that is there but cannot be opened is almost always a udev permission problem.
      if (/EACCES|permission/i.test(message)) {
        this.logger.warn(
          { deviceId: this.deviceId, err: message },
          'permission denied opening the scanner: see docs/udev.md',
        );
      } else {
        this.logger.debug({ deviceId: this.deviceId, err: message }, 'HID scanner not available yet');
      }
      return undefined;
    }
  }

  async #serve(device: HidDeviceLike, info: HidDeviceInfo): Promise<string> {
    this.resetInput();
    try {
      await this.prepare(info);
    } catch (error) {
      await device.close().catch(() => {});
      return `could not prepare device: ${(error as Error).message}`;
    }
    return new Promise<string>((resolve) => {
      let finished = false;
      const finish = (reason: string) => {
        if (finished) return;
        finished = true;
        this.#closeCurrent = undefined;
        device.removeAllListeners('data');
        device.removeAllListeners('error');
        this.resetInput();
        device.close().then(
          () => resolve(reason),
          () => resolve(reason),
        );
      };
      this.#closeCurrent = finish;
      device.on('error', (error: Error) => finish(`HID read failed: ${error.message}`));
      device.on('data', (report: Buffer) => {
        if (!finished) this.onReport(report, this.now());
      });
      this.markConnected();
    });
  }
}
