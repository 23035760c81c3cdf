import { type BaseScannerDeps, type BaseScannerOptions, BaseScannerSource } from './base-scanner.js';

export interface SimulatedScannerOptions extends BaseScannerOptions {
  /** @default 'sim:scanner' */
  deviceId?: string;
}

/**
 * A scanner that exists only in software, for the demo and for tests of everything above the
 * drivers. `inject()` stands for one physical read; `unplug()`/`replug()` exercise the same
 * disconnect/reconnect events a real device produces.
 */
export class SimulatedScanner extends BaseScannerSource {
  #plugged = true;

  constructor(options: SimulatedScannerOptions = {}, deps: BaseScannerDeps = {}) {
    super(options.deviceId ?? 'sim:scanner', options, deps);
  }

  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.setState('connecting');
    if (this.#plugged) this.markConnected();
    else this.setState('disconnected');
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    this.resetDebounce();
  }

  /**
   * One read of `data` (suffix already removed, GS as `\x1d`), with the AIM identifier when the
   * simulated transport reports it separately. Returns whether a `scan` was emitted (false when
   * stopped, unplugged, or debounced as a repeat).
   */
  inject(data: string, symbology?: string): boolean {
    if (this.state !== 'connected') return false;
    return this.deliver(data, symbology);
  }

  /** Simulates pulling the cable: emits `disconnected` (when started). */
  unplug(reason = 'simulated unplug'): void {
    this.#plugged = false;
    this.markDisconnected(reason);
  }

  /** Simulates plugging the device back in: emits `connected` (when started). */
  replug(): void {
    this.#plugged = true;
    if (this.state === 'disconnected') {
      this.setState('connecting');
      this.markConnected();
    }
  }
}
