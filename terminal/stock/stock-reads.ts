import type { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import type { StocktakePayload } from '../ledger/payloads.js';
import type { LedgerRecord } from '../ledger/types.js';
import type { ProductStock } from '../receiving/stock.js';
import { startWorker } from '../threads/start-worker.js';
import { WorkerRequests } from '../threads/worker-requests.js';
import type { StockStore } from './stock-store.js';
import type { PreparedClose, StocktakeReport, StocktakeService } from './stocktake-service.js';

/** What the reads thread is started with. */
export interface StockReadsData {
  file: string;
}

export type StockReadOp =
  | { op: 'counts' }
  | { op: 'report'; session: string }
  /** The report as JSON text, made on the thread: a string crosses threads as one copy. */
  | { op: 'report_json'; session: string }
  /** A stocktake's differences as CSV (StocktakeService.csv): a million lines for a whole store. */
  | { op: 'csv'; session: string }
  /** Take a whole-store stocktake's snapshot of stock on hand now (when it opens). */
  | { op: 'prime'; session: string }
  /** Drop the snapshot when no stocktake is open any more (after a close). */
  | { op: 'release' }
  /** A report for a close, with what it was made from (StocktakeService.prepareClose). */
  | { op: 'prepare_close'; session: string };

export type StockReadRequest = { id: number } & StockReadOp;

/** Attempts at closing with a report from the thread before the close makes it itself. */
const CLOSE_ATTEMPTS = 3;

type Answer<R> = { id: number; result?: R; error?: { code: string; message: string } };

/**
 * The reads that cost one pass over stock on hand — per-product counts and a stocktake's report:
 * seconds at a million units (docs/stock.md "Figures") — answered by a worker thread on its own
 * connection to terminal.db, so checkout and kiosk requests are served meanwhile. Each answer is
 * a snapshot as of its read. A whole-store stocktake's snapshot of stock on hand lives on the
 * thread (taken when it opens, kept current by the change log), and closing one makes its report
 * there: the close's transaction only looks at what changed since. For an in-memory database, and
 * once the worker has stopped, it reads here (the same answer, on the event loop).
 */
export class StockReads {
  #worker: Worker | undefined;
  #requests: WorkerRequests | undefined;

  constructor(
    private readonly local: { store: StockStore; stocktakes: StocktakeService },
    private file: string | undefined,
  ) {}

  counts(): Promise<ProductStock[]> {
    return this.ask<ProductStock[]>({ op: 'counts' }, () => this.local.store.reader.countsByProduct());
  }

  report(session: string): Promise<StocktakeReport> {
    return this.ask<StocktakeReport>({ op: 'report', session }, () => this.local.stocktakes.report(session));
  }

  /**
   * The report as JSON text (what the API sends): a whole-store report lists a million units, and
   * as text it crosses from the thread as one string instead of a million to rebuild here.
   */
  reportJson(session: string): Promise<string> {
    return this.ask<string>({ op: 'report_json', session }, () =>
      JSON.stringify(this.local.stocktakes.report(session)),
    );
  }

  /** A stocktake's CSV, made on the thread (from its record once closed, else a report now). */
  csv(session: string): Promise<string> {
    return this.ask<string>({ op: 'csv', session }, () => this.local.stocktakes.csv(session));
  }

  /**
   * Takes a whole-store stocktake's snapshot on the thread (nothing for a scoped one). Without the
   * thread, nothing: the first report takes it (a pass over stock on hand is not done on the event
   * loop ahead of need).
   */
  async prime(session: string): Promise<void> {
    const requests = this.requests();
    if (!requests) return;
    const answer = await requests.send<Answer<void>>({ op: 'prime', session });
    if (answer.error) throw new VeritermError(answer.error.code, answer.error.message);
  }

  /**
   * Closes a stocktake with the report made on the thread: the transaction that appends the
   * signed record only re-checks what changed since (StocktakeService.closeWith). When scans or
   * check-ins keep arriving meanwhile, after a few attempts it closes the plain way.
   */
  async closeStocktake(session: string): Promise<LedgerRecord<StocktakePayload>> {
    const { stocktakes } = this.local;
    for (let attempt = 0; attempt < CLOSE_ATTEMPTS; attempt++) {
      const prepared = await this.ask<PreparedClose>({ op: 'prepare_close', session }, () =>
        stocktakes.prepareClose(session),
      );
      const record = stocktakes.closeWith(session, prepared);
      if (record) return this.released(record);
    }
    return this.released(stocktakes.close(session));
  }

  /**
   * After a close: the thread drops its snapshot if no stocktake is open any more. Awaited, so no
   * request is left pending when the thread is stopped right after (its answer would unref it).
   */
  private async released<R>(result: R): Promise<R> {
    try {
      await this.requests()?.send<Answer<void>>({ op: 'release' });
    } catch {
      // A stopped thread holds no snapshot.
    }
    return result;
  }

  /** Closes the thread's connection and stops it (idempotent); later reads run here. */
  async close(): Promise<void> {
    const worker = this.#worker;
    const running = worker !== undefined && !this.#requests?.failed;
    this.#worker = undefined;
    this.#requests = undefined;
    this.file = undefined;
    if (!running) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // An idle worker is unref'd: held until it has closed its connection.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  private async ask<R>(message: StockReadOp, here: () => R): Promise<R> {
    const requests = this.requests();
    if (!requests) return here();
    let answer: Answer<R>;
    try {
      answer = await requests.send<Answer<R>>(message);
    } catch (error) {
      // The thread stopped: this read, and the later ones, run here.
      if (requests.failed) return here();
      throw error;
    }
    if (answer.error) throw new VeritermError(answer.error.code, answer.error.message);
    return answer.result as R;
  }

  private requests(): WorkerRequests | undefined {
    if (!this.file || this.#requests?.failed) return undefined;
    if (!this.#requests) {
      const workerData: StockReadsData = { file: this.file };
      this.#worker = startWorker(new URL('./stock-read.worker.js', import.meta.url), { workerData });
      this.#requests = new WorkerRequests(this.#worker, 'The stock reads thread', 'stock_reads_stopped');
    }
    return this.#requests;
  }
}
