import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';

/**
 * Ed25519 signing on a worker thread: a checkout group commit signs every record of the batch
 * (11 per 10-line sale, ~35 µs each), which would otherwise be the biggest share of the event
 * loop's time per sale. The worker is plain JavaScript evaluated from a string, so it runs the
 * same from the TypeScript sources (tsx), from dist/ and under vitest, with no loader.
 *
 * Protocol: the parent posts `{ id, digests }` (n × 32 bytes in one buffer); the worker answers
 * `{ id, signatures }` (n × 64 bytes) or `{ id, error }`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { sign } = require('node:crypto');
parentPort.on('message', ({ id, digests, size }) => {
  try {
    const n = digests.length / size;
    const out = Buffer.allocUnsafeSlow(n * 64);
    for (let i = 0; i < n; i++) sign(null, digests.subarray(i * size, (i + 1) * size), workerData.key).copy(out, i * 64);
    parentPort.postMessage({ id, signatures: out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

/** Ed25519 signatures are 64 bytes (RFC 8032). */
const SIGNATURE_BYTES = 64;

interface Waiting {
  resolve: (signatures: Buffer[]) => void;
  reject: (error: Error) => void;
  count: number;
}

export class SigningWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #failed: Error | undefined;

  /** `key` is cloned into the worker (KeyObjects cross threads); it never leaves the process. */
  constructor(key: KeyObject) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key } });
    // A signer idling between sales must not keep the process alive (see #track).
    this.#worker.unref();
    this.#worker.on('message', (m: { id: number; signatures?: Uint8Array; error?: string }) => {
      const waiting = this.#waiting.get(m.id);
      if (!waiting) return;
      this.#untrack(m.id);
      if (m.error !== undefined || !m.signatures) {
        waiting.reject(new VeritermError('signing_failed', `The signing worker failed: ${m.error}`));
        return;
      }
      const all = Buffer.from(m.signatures.buffer, m.signatures.byteOffset, m.signatures.byteLength);
      const signatures: Buffer[] = [];
      for (let i = 0; i < waiting.count; i++) {
        signatures.push(all.subarray(i * SIGNATURE_BYTES, (i + 1) * SIGNATURE_BYTES));
      }
      waiting.resolve(signatures);
    });
    const fail = (error: Error) => {
      this.#failed = error;
      for (const [id, waiting] of this.#waiting) {
        this.#untrack(id);
        waiting.reject(error);
      }
    };
    this.#worker.on('error', (error) =>
      fail(new VeritermError('signing_failed', `The signing worker stopped: ${error.message}`)),
    );
    this.#worker.on('exit', (code) =>
      fail(new VeritermError('signing_failed', `The signing worker exited with code ${code}`)),
    );
  }

  /**
   * Signs equally sized messages (record digests) in order. Rejects if the worker has failed, so
   * callers can fall back to signing on their own thread.
   */
  signAll(messages: readonly Uint8Array[]): Promise<Buffer[]> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (messages.length === 0) return Promise.resolve([]);
    const size = messages[0]!.length;
    // Not from Buffer's shared pool: the buffer is transferred (detached) below.
    const digests = Buffer.allocUnsafeSlow(messages.length * size);
    for (const [i, message] of messages.entries()) {
      if (message.length !== size) {
        return Promise.reject(
          new VeritermError('signing_input', `Expected ${size}-byte messages, got ${message.length} bytes`),
        );
      }
      digests.set(message, i * size);
    }
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#track(id, { resolve, reject, count: messages.length });
      this.#worker.postMessage({ id, digests, size }, [digests.buffer]);
    });
  }

  /** While a request is pending the worker keeps the process alive, so its answer arrives. */
  #track(id: number, waiting: Waiting): void {
    if (this.#waiting.size === 0) this.#worker.ref();
    this.#waiting.set(id, waiting);
  }

  #untrack(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
  }

  /** Stops the thread; pending requests are rejected. */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
