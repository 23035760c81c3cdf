import type { TransferListItem, Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';

/** What a worker answers: the request's id and its own fields. */
export interface WorkerAnswer {
  id: number;
}

interface Waiting {
  resolve: (answer: WorkerAnswer) => void;
  reject: (error: Error) => void;
}

/**
 * Request/response over a worker thread (the ledger's writer thread): each
 * request gets an id and its answer; the worker keeps the process alive only while a request is
 * pending (an idle one never holds up exit); once the worker errs or exits, every pending and
 * later request is rejected with `stoppedCode`, so callers can do the work on their own thread.
 */
export class WorkerRequests {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #failed: Error | undefined;

  /** `what` names the worker in errors ("The ledger writer stopped: …"). */
  constructor(worker: Worker, what: string, stoppedCode: string) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (answer: WorkerAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#untrack(answer.id);
      waiting.resolve(answer);
    });
    const fail = (error: Error) => {
      this.#failed = error;
      for (const [id, waiting] of this.#waiting) {
        this.#untrack(id);
        waiting.reject(error);
      }
    };
    worker.on('error', (error) => fail(new VeritermError(stoppedCode, `${what} stopped: ${error.message}`)));
    worker.on('exit', (code) => fail(new VeritermError(stoppedCode, `${what} exited with code ${code}`)));
  }

  /** Whether the worker has stopped. */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /** Posts `message` with a fresh `id`; resolves with the worker's answer to it. */
  send<A extends WorkerAnswer>(message: object, transfer: readonly TransferListItem[] = []): Promise<A> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve: resolve as (answer: WorkerAnswer) => void, reject });
      this.#worker.postMessage({ ...message, id }, transfer);
    });
  }

  #untrack(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
  }
}
