import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import { WorkerRequests } from '../threads/worker-requests.js';

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

export class SigningWorker {
  readonly #worker: Worker;
  readonly #requests: WorkerRequests;

  /** `key` is cloned into the worker (KeyObjects cross threads); it never leaves the process. */
  constructor(key: KeyObject) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key } });
    this.#requests = new WorkerRequests(this.#worker, 'The signing worker', 'signing_failed');
  }

  /**
   * Signs equally sized messages (record digests) in order. Rejects if the worker has failed, so
   * callers can fall back to signing on their own thread.
   */
  async signAll(messages: readonly Uint8Array[]): Promise<Buffer[]> {
    if (messages.length === 0) return [];
    const size = messages[0]!.length;
    // Not from Buffer's shared pool: the buffer is transferred (detached) below.
    const digests = Buffer.allocUnsafeSlow(messages.length * size);
    for (const [i, message] of messages.entries()) {
      if (message.length !== size) {
        throw new VeritermError(
          'signing_input',
          `Expected ${size}-byte messages, got ${message.length} bytes`,
        );
      }
      digests.set(message, i * size);
    }
    const answer = await this.#requests.send<{ id: number; signatures?: Uint8Array; error?: string }>(
      { digests, size },
      [digests.buffer],
    );
    if (answer.error !== undefined || !answer.signatures) {
      throw new VeritermError('signing_failed', `The signing worker failed: ${answer.error}`);
    }
    const all = Buffer.from(
      answer.signatures.buffer,
      answer.signatures.byteOffset,
      answer.signatures.byteLength,
    );
    const signatures: Buffer[] = [];
    for (let i = 0; i < messages.length; i++) {
      signatures.push(all.subarray(i * SIGNATURE_BYTES, (i + 1) * SIGNATURE_BYTES));
    }
    return signatures;
  }

  /** Stops the thread; pending requests are rejected. */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
