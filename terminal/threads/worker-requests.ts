import type { TransferListItem, Worker } from 'node:worker_threads';
import { PendingRequests } from './pending-requests.js';

/** What a worker answers: the request's id and its own fields. */
export interface WorkerAnswer {
  id: number;
}

/**
 * Request/response over a worker thread (the ledger's writer thread), on PendingRequests: each
 * request gets an id and its answer; the worker keeps the process alive only while a request is
 * pending (an idle one never holds up exit); once the worker errs or exits, every pending and
 * later request is rejected with `stoppedCode` (and the caller's stack), so callers can do the
 * work on their own thread.
 */
export class WorkerRequests {
  readonly #worker: Worker;
  readonly #what: string;
  readonly #stoppedCode: string;
  readonly #pending: PendingRequests<number, WorkerAnswer>;
  #next = 1;
  #failed: string | undefined;

  /** `what` names the worker in errors ("The ledger writer, request 7: exited with code 1"). */
  constructor(worker: Worker, what: string, stoppedCode: string) {
    this.#worker = worker;
    this.#what = what;
    this.#stoppedCode = stoppedCode;
    this.#pending = new PendingRequests({
      timeoutCode: `${stoppedCode.replace(/_stopped$/, '')}_timeout`,
      onBusyChange: (busy) => (busy ? worker.ref() : worker.unref()),
    });
    worker.unref();
    worker.on('message', (answer: WorkerAnswer) => this.#pending.settle(answer.id, answer));
    const fail = (reason: string) => {
      this.#failed ??= reason;
      this.#pending.failAll(stoppedCode, reason);
    };
    worker.on('error', (error) => fail(`stopped: ${error.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
  }

  /** Whether the worker has stopped. */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /**
   * Posts `message` with a fresh `id`; resolves with the worker's answer to it. `timeoutMs`
   * (none by default) rejects with a RequestTimeoutError if no answer comes in time.
   */
  send<A extends WorkerAnswer>(
    message: object,
    transfer: readonly TransferListItem[] = [],
    timeoutMs?: number,
  ): Promise<A> {
    const id = this.#next++;
    const request = `${this.#what}, request ${id}`;
    const answer = this.#pending.wait(id, request, timeoutMs) as Promise<A>;
    if (this.#failed !== undefined) this.#pending.fail(id, this.#stoppedCode, this.#failed);
    else this.#worker.postMessage({ ...message, id }, transfer);
    return answer;
  }
}
