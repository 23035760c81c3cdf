import type { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import type { ProductStock } from '../receiving/stock.js';
import { startWorker } from '../threads/start-worker.js';
import { WorkerRequests } from '../threads/worker-requests.js';
import type { StockStore } from './stock-store.js';
import type { StocktakeReport, StocktakeService } from './stocktake-service.js';

/** What the reads thread is started with. */
export interface StockReadsData {
  file: string;
}

export type StockReadRequest = { id: number } & ({ op: 'counts' } | { op: 'report'; session: string });

type Answer<R> = { id: number; result?: R; error?: { code: string; message: string } };

/**
 * The reads that cost one pass over stock on hand — per-product counts and a stocktake's report:
 * seconds at a million units (docs/stock.md "Figures") — answered by a worker thread on its own
 * connection to terminal.db, so checkout and kiosk requests are served meanwhile. Each answer is
 * a snapshot as of its read. Closing a stocktake still computes its report on the main
 * connection, in the transaction that appends the record. For an in-memory database, and once the
 * worker has stopped, it reads here (the same answer, on the event loop).
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

  private async ask<R>(
    message: { op: 'counts' } | { op: 'report'; session: string },
    here: () => R,
  ): Promise<R> {
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
