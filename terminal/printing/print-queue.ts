import { EventEmitter } from 'node:events';
import { isReady } from '../../drivers/printer/status.js';
import type { PrinterStatus, ReceiptPrinter } from '../../drivers/printer/types.js';
import type { SqliteDatabase } from '../db/open-database.js';
import { asStorageFault, isDiskFull } from '../db/storage-errors.js';
import { VeritermError } from '../errors.js';
import type { HealthReporter } from '../health/types.js';
import type { Logger } from '../logger.js';
import type { ReceiptDocument } from '../receipts/document.js';
import { renderPreview } from '../receipts/preview.js';
import type { PrinterProfile } from '../receipts/profiles.js';
import { type RenderOptions, renderReceipt } from '../receipts/render-escpos.js';
import { documentFromJson, documentToJson } from './document-json.js';
import { printerHealth } from './printer-health.js';
import { type PrintJob, PrintQueueStore } from './queue-store.js';

export interface PrintQueueDeps {
  db: SqliteDatabase;
  /** The one printer this queue owns; nothing else may write to it. */
  printer: ReceiptPrinter;
  /** The printer's receipt profile (for `printReceipt`). */
  profile: PrinterProfile;
  logger: Logger;
  health?: HealthReporter;
  now?: () => number;
  /**
   * Told of a full disk met while queueing or updating a job (SQLITE_FULL, ENOSPC): the composition
   * root latches the storage health item, as it does for the ledger and the query log. Printing in
   * the background has no HTTP answer to carry the fault, so without this it was only a log line.
   */
  onDiskFull?: (fault: VeritermError) => void;
  /** The database file named in that fault. @default 'the terminal database' */
  dbFile?: string;
}

export interface PrintQueueOptions {
  /** Send attempts before a job ends `failed`. Waiting for paper or a link does not count. @default 5 */
  maxAttempts?: number;
  /** Pause after a failed send before the next try. @default 1000 */
  retryDelayMs?: number;
  /** Rendering options (CJK font path). */
  render?: RenderOptions;
}

export interface PrintQueueEvents {
  /** A job changed state. */
  job: [PrintJob];
  status: [PrinterStatus];
}

/** Printers that have a running queue: one owner per printer. */
const owned = new WeakSet<ReceiptPrinter>();

/** Kinds "reprint last receipt" looks at. */
const REPRINTABLE = ['receipt', 'reprint'] as const;

/**
 * The owner of one printer: a durable SQLite queue in front of it. Jobs are committed before
 * `enqueue` returns, sent in order when the printer's DLE EOT status says it is ready, retried
 * after link faults, and marked done only after the printer took every byte and answered a
 * status query ready. A job the printer has taken is never sent again (no doubled receipts);
 * one a crash interrupted mid-send is (better a duplicate than a lost receipt).
 */
export class PrintQueue extends EventEmitter<PrintQueueEvents> {
  readonly store: PrintQueueStore;
  /** The printer this queue owns (read its status; never write to it directly). */
  readonly printer: ReceiptPrinter;
  private readonly options: Required<Omit<PrintQueueOptions, 'render'>> & { render: RenderOptions };
  private draining: Promise<void> | undefined;
  private again = false;
  private running = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastStatus: PrinterStatus | undefined;
  private readonly onStatus = (status: PrinterStatus) => {
    this.lastStatus = status;
    this.reportHealth();
    this.emit('status', status);
    if (isReady(status)) this.kick();
  };

  constructor(
    private readonly deps: PrintQueueDeps,
    options: PrintQueueOptions = {},
  ) {
    super();
    this.store = new PrintQueueStore(deps.db, deps.now);
    this.printer = deps.printer;
    this.options = {
      maxAttempts: options.maxAttempts ?? 5,
      retryDelayMs: options.retryDelayMs ?? 1000,
      render: options.render ?? {},
    };
  }

  get printerId(): string {
    return this.printer.id;
  }

  get status(): PrinterStatus | undefined {
    return this.lastStatus;
  }

  /** Starts the printer (an unreachable printer does not fail this) and sends what is waiting. */
  async start(): Promise<void> {
    if (this.running) return;
    if (owned.has(this.printer)) {
      throw new VeritermError(
        'printer_already_owned',
        `Printer ${this.printer.id} already has a print queue`,
      );
    }
    owned.add(this.printer);
    this.running = true;
    const recovered = this.store.recover(this.printer.id);
    if (recovered > 0)
      this.deps.logger.warn({ recovered }, 'print jobs interrupted mid-send will be sent again');
    this.printer.on('status', this.onStatus);
    this.reportHealth();
    // Not awaited: a printer that is unreachable (or slow to refuse) must not hold up the
    // terminal's start. Jobs wait; the printer's poll reconnects and its status event kicks us.
    void this.printer.start().then(
      () => this.kick(),
      (error: unknown) => this.deps.logger.error({ err: error }, 'printer failed to start; jobs wait'),
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    owned.delete(this.printer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.draining;
    this.printer.off('status', this.onStatus);
    await this.printer.stop();
  }

  /** Commits a job and returns it; printing happens in the background. */
  enqueue(
    bytes: Uint8Array,
    options: { kind?: string; ref?: string; document?: ReceiptDocument } = {},
  ): PrintJob {
    const job = this.storing(() =>
      this.store.insert({
        printerId: this.printer.id,
        kind: options.kind ?? 'receipt',
        ...(options.ref !== undefined ? { ref: options.ref } : {}),
        bytes,
        ...(options.document ? { document: documentToJson(options.document) } : {}),
      }),
    );
    this.emit('job', job);
    this.reportHealth();
    this.kick();
    return job;
  }

  /** Renders a receipt for this printer's profile and enqueues it (keeping the document for previews). */
  printReceipt(doc: ReceiptDocument, options: { kind?: string; ref?: string } = {}): PrintJob {
    const bytes = renderReceipt(doc, this.deps.profile, this.options.render);
    return this.enqueue(bytes, { ...options, document: doc });
  }

  /** Enqueues the last printed receipt again, or throws `print_nothing_to_reprint`. */
  reprintLast(): PrintJob {
    const last = this.store.lastDone(this.printer.id, REPRINTABLE);
    const bytes = last && this.store.bytes(last.id);
    if (!last || !bytes)
      throw new VeritermError('print_nothing_to_reprint', 'No receipt has been printed yet');
    const doc = this.store.document(last.id);
    return this.enqueue(bytes, { kind: 'reprint', ...(doc ? { document: documentFromJson(doc) } : {}) });
  }

  /**
   * Gives up on a job that has not reached the printer (manager action). Returns the job, now
   * `failed` with the reason; a job the printer already has cannot be called back.
   */
  cancel(id: string, reason = 'Cancelled'): PrintJob {
    const job = this.store.get(id);
    if (!job) throw new VeritermError('print_job_unknown', `No print job ${id}`);
    if (job.state !== 'pending') {
      throw new VeritermError(
        'print_job_not_cancellable',
        `Print job ${id} is ${job.state}; only pending jobs can be cancelled`,
      );
    }
    this.transition(id, () => this.store.markFailed(id, reason));
    return this.store.get(id)!;
  }

  job(id: string): PrintJob | undefined {
    return this.store.get(id);
  }

  /** The receipt document a job printed, when it was enqueued from one. */
  document(id: string): ReceiptDocument | undefined {
    const json = this.store.document(id);
    return json ? documentFromJson(json) : undefined;
  }

  /** PNG preview of a job's receipt (manager page), when it was enqueued from a document. */
  async preview(id: string): Promise<Buffer | undefined> {
    const doc = this.document(id);
    return doc ? renderPreview(doc, this.deps.profile, this.options.render) : undefined;
  }

  /** Recent jobs, newest first (manager page). */
  recent(limit = 20): PrintJob[] {
    return this.store.list(this.printer.id, { limit });
  }

  /** Resolves when the job is done or failed (for callers that must know, and tests). */
  settled(id: string, timeoutMs = 30_000): Promise<PrintJob> {
    return new Promise((resolve, reject) => {
      const check = (job?: PrintJob) => {
        if (job && job.id !== id) return;
        const current = this.store.get(id);
        if (!current) {
          finish();
          reject(new VeritermError('print_job_unknown', `No print job ${id}`));
        } else if (current.state === 'done' || current.state === 'failed') {
          finish();
          resolve(current);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new VeritermError('print_timeout', `Print job ${id} not settled within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.off('job', check);
      };
      this.on('job', check);
      check();
    });
  }

  private kick(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => {
        this.reportDiskFull(error);
        this.deps.logger.error({ err: error }, 'print queue drain failed; retrying');
        this.scheduleRetry();
      })
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Sends jobs in order while the printer is ready; returns when it must wait. */
  private async drain(): Promise<void> {
    while (this.running) {
      const job = this.store.next(this.printer.id);
      if (!job) return;
      const status = await this.printer.status();
      if (job.state === 'sent') {
        // The printer has the bytes; it prints them when the fault clears. Only confirm.
        if (!isReady(status)) return;
        this.transition(job.id, () => this.store.markDone(job.id));
        continue;
      }
      if (!isReady(status)) return; // a status event kicks us again
      // No commit before the write: a crash mid-send leaves the job pending, so it is sent again.
      const bytes = this.store.bytes(job.id)!;
      try {
        await this.printer.write(bytes);
      } catch (error) {
        const reason = (error as Error).message;
        const attempts = this.store.markRetry(job.id, reason);
        this.deps.logger.warn({ job: job.id, attempts, reason }, 'print job send failed');
        if (attempts >= this.options.maxAttempts) {
          this.transition(job.id, () =>
            this.store.markFailed(job.id, `Gave up after ${attempts} attempts: ${reason}`),
          );
          continue;
        }
        this.transition(job.id, () => undefined);
        this.scheduleRetry();
        return;
      }
      // DLE EOT is answered after the job's bytes: ready now means the printer has processed
      // them. Not ready (paper ran out mid-job): the bytes wait in the printer; never resend.
      const after = await this.printer.status();
      if (!isReady(after)) {
        this.transition(job.id, () => this.store.markSent(job.id));
        return;
      }
      this.transition(job.id, () => this.store.markDone(job.id));
    }
  }

  /** Runs a store write; a full disk is reported (storage health) and rethrown as `disk_full`. */
  private storing<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      throw this.reportDiskFull(error) ?? error;
    }
  }

  /** The `disk_full` fault for `error` when it is one, after telling `onDiskFull`. */
  private reportDiskFull(error: unknown): VeritermError | undefined {
    if (!isDiskFull(error)) return undefined;
    const fault = asStorageFault(error, this.deps.dbFile ?? 'the terminal database') as VeritermError;
    this.deps.onDiskFull?.(fault);
    return fault;
  }

  private transition(id: string, change: () => void): void {
    change();
    const job = this.store.get(id);
    if (job) this.emit('job', job);
    this.reportHealth();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.kick(), this.options.retryDelayMs);
    this.retryTimer.unref();
  }

  private reportHealth(): void {
    this.deps.health?.report(
      `printer:${this.printer.id}`,
      printerHealth(this.lastStatus, this.store.waiting(this.printer.id)),
    );
  }
}
