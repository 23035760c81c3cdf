import { VeritermError } from '../errors.js';

/**
 * A request that got no answer in time. `request` names it ("registry chunk 3 of r7"), and its
 * stack is the stack of the code that made the request, not of the timer that fired (which would
 * only show Node's timer internals).
 */
export class RequestTimeoutError extends VeritermError {
  readonly request: string;
  readonly timeoutMs: number;

  constructor(code: string, request: string, timeoutMs: number) {
    super(code, `${request}: no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
    this.request = request;
    this.timeoutMs = timeoutMs;
  }
}

interface Waiting<A> {
  request: string;
  resolve: (answer: A) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Captured when the request was made: the caller's frames, for every error it may end in. */
  site: { stack?: string };
}

export interface PendingRequestsOptions {
  /** `code` of the RequestTimeoutError a timed-out request rejects with, e.g. `registry_request_timeout`. */
  timeoutCode: string;
  /** Called when the first request starts waiting and when the last one is settled (a worker refs itself then). */
  onBusyChange?: (busy: boolean) => void;
}

/**
 * The one request/response waiter (after zigbee-herdsman's `waitress`): each request registers
 * under a key (a worker message id, an MQTT correlation), its answer settles it, and it rejects on
 * its timeout or when the channel fails. Every rejection carries the stack of the code that made
 * the request, so a timeout or a stopped worker points at the caller. Used by WorkerRequests
 * (worker threads) and the sync link's RequestClient (MQTT 5 request/response).
 */
export class PendingRequests<K, A> {
  readonly #waiting = new Map<K, Waiting<A>>();
  readonly #options: PendingRequestsOptions;

  constructor(options: PendingRequestsOptions) {
    this.#options = options;
  }

  /** How many requests are waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Waits for `key`'s answer. `request` names it in errors. Without `timeoutMs` it waits until it
   * is settled or failed (a worker's write, whose outcome must come from the worker or the
   * database, never from a clock). A key already waiting is refused: keys must be unique.
   */
  wait(key: K, request: string, timeoutMs?: number): Promise<A> {
    if (this.#waiting.has(key)) {
      return Promise.reject(
        new VeritermError('request_key_in_use', `${request}: key ${String(key)} is already waiting`),
      );
    }
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, this.wait);
    return new Promise<A>((resolve, reject) => {
      const waiting: Waiting<A> = { request, resolve, reject, timer: undefined, site };
      if (timeoutMs !== undefined) {
        waiting.timer = setTimeout(() => {
          if (this.#waiting.get(key) !== waiting) return;
          this.#remove(key);
          reject(withSite(new RequestTimeoutError(this.#options.timeoutCode, request, timeoutMs), site));
        }, timeoutMs);
      }
      if (this.#waiting.size === 0) this.#options.onBusyChange?.(true);
      this.#waiting.set(key, waiting);
    });
  }

  /** Answers `key`'s request. False when none waits for it (a late or unknown answer: drop it). */
  settle(key: K, answer: A): boolean {
    const waiting = this.#waiting.get(key);
    if (!waiting) return false;
    this.#remove(key);
    waiting.resolve(answer);
    return true;
  }

  /**
   * Rejects `key`'s request with a VeritermError(`code`) saying "request: message", caused by
   * `cause`, with the caller's stack. False when none waits for it.
   */
  fail(key: K, code: string, message: string, cause?: unknown): boolean {
    const waiting = this.#waiting.get(key);
    if (!waiting) return false;
    this.#remove(key);
    waiting.reject(errorFor(waiting, code, message, cause));
    return true;
  }

  /** Rejects every waiting request as `fail` does (link lost, worker stopped, stop). */
  failAll(code: string, message: string, cause?: unknown): void {
    for (const key of [...this.#waiting.keys()]) this.fail(key, code, message, cause);
  }

  #remove(key: K): void {
    const waiting = this.#waiting.get(key);
    if (waiting?.timer) clearTimeout(waiting.timer);
    this.#waiting.delete(key);
    if (this.#waiting.size === 0) this.#options.onBusyChange?.(false);
  }
}

function errorFor(
  waiting: { request: string; site: { stack?: string } },
  code: string,
  message: string,
  cause: unknown,
): VeritermError {
  const error = new VeritermError(
    code,
    `${waiting.request}: ${message}`,
    cause === undefined ? {} : { cause },
  );
  return withSite(error, waiting.site);
}

/** Replaces `error`'s frames with those captured at the request site, keeping its first line. */
function withSite<E extends Error>(error: E, site: { stack?: string }): E {
  const frames = site.stack?.slice(site.stack.indexOf('\n')) ?? '';
  error.stack = `${error.name}: ${error.message}${frames}`;
  return error;
}
