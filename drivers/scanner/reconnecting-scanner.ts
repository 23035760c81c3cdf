import { Backoff, pause } from './backoff.js';
import { type BaseScannerDeps, type BaseScannerOptions, BaseScannerSource } from './base-scanner.js';
import type { ReconnectOptions } from './options.js';

/**
 * The open → serve → reopen-with-backoff loop shared by the sources that own a physical device
 * (serial and HID). A subclass says how to open its device and how to read from it until it goes
 * away; this class keeps trying while started, and `stop()` ends the current read and the loop.
 */
export abstract class ReconnectingScannerSource<Device> extends BaseScannerSource {
  readonly #reconnect: ReconnectOptions;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #closeCurrent: ((reason: string) => void) | undefined;

  constructor(
    deviceId: string,
    options: BaseScannerOptions & { reconnect: ReconnectOptions },
    deps: BaseScannerDeps = {},
  ) {
    super(deviceId, options, deps);
    this.#reconnect = options.reconnect;
  }

  /** Finds and opens the device; resolves undefined when it is not there (yet). May throw. */
  protected abstract open(): Promise<Device | undefined>;
  /** Closes a device opened just as the source was being stopped. */
  protected abstract discard(device: Device): Promise<void>;
  /**
   * Reads from an open device until it goes away; resolves with the reason. It must call
   * `whileServing(finish)` with the function that ends the read, so that `stop()` can end it.
   */
  protected abstract serve(device: Device): Promise<string>;
  /** Called once stopped, after the loop ended (drop partial input). */
  protected onStopped(): void {}

  protected whileServing(finish: ((reason: string) => void) | undefined): void {
    this.#closeCurrent = finish;
  }

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
    this.onStopped();
    this.resetDebounce();
  }

  async #run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#reconnect.initialDelayMs, this.#reconnect.maxDelayMs);
    while (!signal.aborted) {
      const device = await this.#tryOpen();
      if (device !== undefined && signal.aborted) {
        await this.discard(device);
        break;
      }
      if (device !== undefined) {
        backoff.reset();
        const reason = await this.serve(device);
        if (signal.aborted) break;
        this.markDisconnected(reason);
      }
      await pause(backoff.next(), signal);
    }
  }

  async #tryOpen(): Promise<Device | undefined> {
    try {
      return await this.open();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A device that is there but cannot be opened is almost always a udev permission problem.
      if (/EACCES|permission/i.test(message)) {
        this.logger.warn(
          { deviceId: this.deviceId, err: message },
          'permission denied opening the scanner: see docs/udev.md',
        );
      } else {
        this.logger.debug({ deviceId: this.deviceId, err: message }, 'scanner not available yet');
      }
      return undefined;
    }
  }
}
