import { EventEmitter } from 'node:events';
import { PrinterError } from './errors.js';
import {
  DLE_EOT_ERROR,
  hasError,
  isStatusByte,
  parseStatus,
  STATUS_QUERY,
  sameStatus,
  unreachableStatus,
} from './status.js';
import type { PrinterEvents, PrinterStatus, ReceiptPrinter } from './types.js';

/** An open byte pipe to a printer (TCP socket, serial port, USB bulk endpoints, in-memory). */
export interface PrinterLink {
  /** Resolves when the transport accepted every byte. */
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface LinkHandlers {
  /** Bytes the printer sent back (status answers). */
  onData(bytes: Uint8Array): void;
  /** The link went away (unplugged, socket closed). */
  onClose(error?: Error): void;
}

/** Opens a link; rejects when the printer cannot be reached. */
export type Connector = (handlers: LinkHandlers) => Promise<PrinterLink>;

export interface StreamPrinterOptions {
  /** How often `start()`ed printers poll DLE EOT (and reconnect when down). @default 2000 */
  pollIntervalMs?: number;
  /** How long a status query waits for its three answer bytes. @default 1000 */
  statusTimeoutMs?: number;
  /** Default timeout of one `write`. @default 10000 */
  writeTimeoutMs?: number;
  /** The transport has no back-channel (file): status is "online" while the link opens. */
  noStatus?: boolean;
}

/**
 * A ReceiptPrinter over any byte pipe. It serialises every write and status query (one owner
 * per printer), reconnects on the next poll after the link drops, and emits `status` whenever
 * the real-time status changes. `start()` never throws because a printer is unreachable: the
 * status just says so and the poll keeps trying.
 */
export class StreamPrinter extends EventEmitter<PrinterEvents> implements ReceiptPrinter {
  readonly id: string;
  private link: PrinterLink | undefined;
  private connecting: Promise<PrinterLink> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private waiters: { resolve: (byte: number) => void; reject: (error: Error) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastStatus: PrinterStatus | undefined;
  private running = false;
  /** The printer left DLE EOT 3 unanswered once: do not ask it again on this link. */
  private noErrorStatus = false;
  private readonly options: Required<StreamPrinterOptions>;

  constructor(
    id: string,
    private readonly connector: Connector,
    options: StreamPrinterOptions = {},
  ) {
    super();
    this.id = id;
    this.options = {
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      statusTimeoutMs: options.statusTimeoutMs ?? 1000,
      writeTimeoutMs: options.writeTimeoutMs ?? 10_000,
      noStatus: options.noStatus ?? false,
    };
  }

  /** The last status seen (undefined before the first query). */
  get currentStatus(): PrinterStatus | undefined {
    return this.lastStatus;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.status().catch(() => undefined);
    this.schedulePoll();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
    await this.dropLink();
  }

  write(bytes: Uint8Array, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    return this.serialised(async () => {
      options.signal?.throwIfAborted();
      const link = await this.ensureLink();
      await this.withTimeout(
        link.write(bytes),
        options.timeoutMs ?? this.options.writeTimeoutMs,
        options.signal,
      );
    });
  }

  /** Queries DLE EOT 1, 2 and 4. An unreachable printer resolves to `online: false`, never rejects. */
  status(options: { timeoutMs?: number } = {}): Promise<PrinterStatus> {
    return this.serialised(async () => {
      let status: PrinterStatus;
      try {
        const link = await this.ensureLink();
        status = this.options.noStatus
          ? { online: true, coverOpen: false, paperNearEnd: false, paperOut: false, error: false }
          : await this.queryStatus(link, options.timeoutMs ?? this.options.statusTimeoutMs);
      } catch (error) {
        status = unreachableStatus(`Unreachable: ${(error as Error).message}`);
      }
      this.publish(status);
      return status;
    });
  }

  private async queryStatus(link: PrinterLink, timeoutMs: number): Promise<PrinterStatus> {
    const answers = Promise.all(
      [0, 1, 2].map(() => new Promise<number>((resolve, reject) => this.waiters.push({ resolve, reject }))),
    );
    answers.catch(() => undefined); // observed below; a lost link rejects it early
    try {
      const [printer, offline, paper] = await this.withTimeout(
        link.write(STATUS_QUERY).then(() => answers),
        timeoutMs,
      );
      const cause = hasError(offline!) ? await this.queryErrorCause(link, timeoutMs) : undefined;
      return parseStatus(printer!, offline!, paper!, cause);
    } catch (error) {
      // A printer that stops answering real-time status is treated as gone: drop the link so
      // late answers cannot be mistaken for the next query's.
      this.failWaiters(new PrinterError('printer_timeout', 'Status query abandoned'));
      await this.dropLink();
      throw error;
    }
  }

  /**
   * DLE EOT 3, asked only while DLE EOT 2 reports an error. A printer that does not answer it
   * (some clones) keeps its link and reads "printer error"; it is not asked again on this link.
   */
  private async queryErrorCause(link: PrinterLink, timeoutMs: number): Promise<number | undefined> {
    if (this.noErrorStatus) return undefined;
    let waiter: { resolve: (byte: number) => void; reject: (error: Error) => void } | undefined;
    const answer = new Promise<number>((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    answer.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.min(timeoutMs, 500));
    });
    try {
      await link.write(DLE_EOT_ERROR);
      const byte = await Promise.race([answer, silence]);
      if (byte === undefined) this.noErrorStatus = true;
      return byte;
    } finally {
      clearTimeout(timer);
      const index = waiter ? this.waiters.indexOf(waiter) : -1;
      if (index >= 0) this.waiters.splice(index, 1);
    }
  }

  private onData(bytes: Uint8Array): void {
    for (const byte of bytes) {
      // Anything that is not a status answer (automatic status back, noise) is ignored.
      if (!isStatusByte(byte)) continue;
      this.waiters.shift()?.resolve(byte);
    }
  }

  private failWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private ensureLink(): Promise<PrinterLink> {
    if (this.link) return Promise.resolve(this.link);
    if (this.connecting) return this.connecting;
    // Events from a link that has since been replaced are ignored (a late 'close' from a dropped
    // socket must not tear down its successor).
    let mine: PrinterLink | undefined;
    let closed = false;
    this.connecting = this.connector({
      onData: (bytes) => {
        if (mine !== undefined && mine === this.link) this.onData(bytes);
      },
      onClose: () => {
        closed = true;
        if (mine === undefined || mine !== this.link) return;
        this.link = undefined;
        this.failWaiters(new PrinterError('printer_offline', 'Connection lost'));
        if (this.running) this.publish(unreachableStatus('Connection lost'));
      },
    })
      .then((link) => {
        mine = link;
        if (closed) throw new PrinterError('printer_offline', 'Connection closed while opening');
        this.link = link;
        return link;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  private async dropLink(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.noErrorStatus = false;
    await link?.close().catch(() => undefined);
  }

  private publish(status: PrinterStatus): void {
    if (sameStatus(this.lastStatus, status)) return;
    this.lastStatus = status;
    this.emit('status', status);
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.status()
        .catch(() => undefined)
        .finally(() => this.schedulePoll());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async withTimeout<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PrinterError('printer_timeout', `Printer ${this.id} did not answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      onAbort = () => reject(new PrinterError('printer_aborted', `Write to printer ${this.id} aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Whichever loses the race must not surface later as an unhandled rejection.
    work.catch(() => undefined);
    failure.catch(() => undefined);
    try {
      return await Promise.race([work, failure]);
    } catch (error) {
      if (error instanceof PrinterError && error.code !== 'printer_timeout') throw error;
      if (error instanceof PrinterError) {
        await this.dropLink();
        throw error;
      }
      await this.dropLink();
      throw new PrinterError('printer_write_failed', `Printer ${this.id}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}
