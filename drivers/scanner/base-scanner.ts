import { EventEmitter } from 'node:events';
import { Debouncer } from './debouncer.js';
import type { Scan, ScannerEvents, ScannerSource, ScannerState } from './types.js';

/** The slice of a pino logger the drivers use (drivers/ must not import terminal/logger). */
export interface DriverLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Collaborators every scanner source accepts; all optional. */
export interface BaseScannerDeps {
  /** Clock for `receivedAt` and debouncing; tests pass a controlled one. @default Date.now */
  now?: () => number;
  logger?: DriverLogger;
}

export interface BaseScannerOptions {
  /** Same data from this device within this many ms is one scan. @default 1500 */
  debounceMs?: number;
}

const silent: DriverLogger = { debug() {}, info() {}, warn() {} };

/**
 * State, debouncing and event plumbing shared by every ScannerSource. Subclasses call
 * `deliver()` for each framed read and `reportError()` for frames that cannot become scans.
 */
export abstract class BaseScannerSource extends EventEmitter<ScannerEvents> implements ScannerSource {
  readonly deviceId: string;
  protected readonly now: () => number;
  protected readonly logger: DriverLogger;
  readonly #debouncer: Debouncer;
  #state: ScannerState = 'stopped';

  constructor(deviceId: string, options: BaseScannerOptions = {}, deps: BaseScannerDeps = {}) {
    super();
    this.deviceId = deviceId;
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger ?? silent;
    this.#debouncer = new Debouncer(options.debounceMs ?? 1500);
  }

  get state(): ScannerState {
    return this.#state;
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  protected setState(state: ScannerState): void {
    this.#state = state;
  }

  /** Marks the device open and says so once per transition. */
  protected markConnected(): void {
    if (this.#state === 'connected' || this.#state === 'stopped') return;
    this.#state = 'connected';
    this.logger.info({ deviceId: this.deviceId }, 'scanner connected');
    this.emit('connected', { deviceId: this.deviceId });
  }

  /** Marks the device gone and says so once per transition (the source keeps trying to reopen). */
  protected markDisconnected(reason: string): void {
    if (this.#state === 'disconnected' || this.#state === 'stopped') return;
    const wasConnected = this.#state === 'connected';
    this.#state = 'disconnected';
    if (!wasConnected) return;
    this.logger.warn({ deviceId: this.deviceId, reason }, 'scanner disconnected');
    this.emit('disconnected', { deviceId: this.deviceId, reason });
  }

  /**
   * Emits one scan unless it repeats the same data inside the debounce window.
   * Resolves to whether a `scan` event was emitted.
   */
  protected deliver(data: string, symbology: string | undefined, receivedAt = this.now()): boolean {
    if (this.#state === 'stopped') return false;
    if (!this.#debouncer.accept(`${symbology ?? ''}\u0000${data}`, receivedAt)) {
      this.logger.debug({ deviceId: this.deviceId }, 'repeat read suppressed by debounce');
      return false;
    }
    const scan: Scan = { data, deviceId: this.deviceId, receivedAt };
    if (symbology !== undefined) scan.symbology = symbology;
    this.emit('scan', scan);
    return true;
  }

  /**
   * Reports a frame that could not become a scan. Node's EventEmitter throws on an unheard
   * `error` event; a garbled barcode must never crash a checkout, so without listeners it is logged.
   */
  protected reportError(code: string, message: string): void {
    if (this.#state === 'stopped') return;
    this.logger.warn({ deviceId: this.deviceId, code }, message);
    if (this.listenerCount('error') > 0) this.emit('error', { deviceId: this.deviceId, code, message });
  }

  protected resetDebounce(): void {
    this.#debouncer.reset();
  }
}
