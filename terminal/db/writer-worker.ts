import type { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import type { WorkerSigningKey } from '../identity/ed25519.js';
import { startWorker } from '../threads/start-worker.js';
import { WorkerRequests } from '../threads/worker-requests.js';
import { diskFullError, isDiskFull } from './storage-errors.js';

/**
 * Writes a group commit's rows on a worker thread with its own SQLite connection, so the inserts
 * and the durable commit (an fsync with synchronous=FULL, and now and then a WAL checkpoint) do
 * not hold up the event loop, which meanwhile prepares the next writes. Used by the ledger for
 * the checkout's group commits. (Upstream's ingest tried it and stayed on its event loop: on two
 * cores the extra thread and the copies to it cost more than the fsync wait it hid; README, sync.)
 *
 * The worker knows no domain logic: it runs the statements its owner hands it (SQL once, at
 * start; rows per write) in a BEGIN IMMEDIATE transaction. Each write first runs its checks under
 * the write lock, each a read that must return the row the write was planned against (the chain
 * head, a terminal's last sequence): if one differs, someone else wrote meanwhile and the write is
 * answered `moved` with nothing written, for its owner to redo. Writes that queued up while the
 * previous commit was syncing share one transaction (one fsync), each in its own savepoint, and
 * each gets its own answer once that commit is durable.
 * The thread runs writer.worker.ts, a module of its own (compiled beside this one in dist/).
 *
 * A write may also carry columns to sign (`sign`): with a signing key (the ledger's records are
 * signed here, so a group commit makes one thread hop instead of two), the worker signs each
 * digest and puts its base64 signature into the op parameter named for it.
 *
 * Messages: `{ id, checks: [[check, params, row | null], …], ops: [[statement, params], …],
 * sign?: { digests, size, slots: [[op, param], …] } }` → `{ id, result: 'committed' | 'moved',
 * signatures? }` (n × 64 bytes, when committed) or `{ id, error, code }`.
 */
export type SqlValue = string | number | bigint | null;

export interface WriterWorkerOptions {
  /** The database file (the worker opens its own connection). */
  file: string;
  busyTimeoutMs: number;
  /** Run in order on the worker's connection, e.g. `synchronous = FULL`. */
  pragmas: readonly string[];
  /** SELECTs a write's checks refer to by index. */
  checks: readonly string[];
  /** Statements a write's ops refer to by index. */
  statements: readonly string[];
  /** The key signed columns are signed with (see `write`); none: writes cannot carry any. */
  signing?: WorkerSigningKey;
  /** Names the worker in errors ("The ledger writer …") and in their codes (`ledger_write_failed`). */
  name: { text: string; code: string };
}

/** `check`'s row (its columns in order, as `raw()` returns them) must be `row`; null: no row. */
export type WriterCheck = [check: number, params: readonly SqlValue[], row: readonly SqlValue[] | null];
export type WriterOp = [statement: number, params: readonly SqlValue[]];

/**
 * Columns the worker signs: `digests[i]` is signed and its base64 signature replaces the
 * parameter at `slots[i]` (`[op index, parameter index]`).
 */
export interface WriterSigned {
  digests: readonly Uint8Array[];
  slots: readonly (readonly [op: number, param: number])[];
}

/** A write's answer: whether it committed, and the signatures it made (raw, in `sign` order). */
export interface WriterResult {
  committed: boolean;
  signatures: Buffer[];
}

/** What the worker is started with (`workerData`). */
export type WriterWorkerData = Omit<WriterWorkerOptions, 'name'>;

/** One write as posted to the worker (see the class comment). */
export interface WriterRequest {
  id: number;
  checks: readonly WriterCheck[];
  ops: readonly WriterOp[];
  sign?: { digests: Buffer; size: number; slots: WriterSigned['slots'] };
}

/** The worker's answer to one write. */
export interface WriterAnswer {
  id: number;
  result?: 'committed' | 'moved';
  /** n × 64 bytes, in `sign` order, when committed. */
  signatures?: Uint8Array;
  error?: string;
  code?: string | undefined;
}

export class SqliteWriterWorker {
  readonly #worker: Worker;
  readonly #requests: WorkerRequests;
  readonly #name: WriterWorkerOptions['name'];
  readonly #file: string;

  constructor({ name, ...options }: WriterWorkerOptions) {
    this.#name = name;
    this.#file = options.file;
    const workerData: WriterWorkerData = options;
    this.#worker = startWorker(new URL('./writer.worker.js', import.meta.url), { workerData });
    // The worker has its own copy now (workerData is cloned when the worker is made).
    if (options.signing && 'seed' in options.signing) options.signing.seed.fill(0);
    this.#requests = new WorkerRequests(this.#worker, name.text, `${name.code}_stopped`);
  }

  /** Whether the worker has stopped (callers then write on their own thread). */
  get failed(): boolean {
    return this.#requests.failed;
  }

  /**
   * Runs `ops` in one durable transaction if every check holds, first filling in the signed
   * columns (`sign`). Resolves committed once durable, or not committed (nothing written) if a
   * check did not hold; rejects if the transaction failed (nothing written) or the worker stopped
   * (the outcome is then unknown: read the database).
   */
  async write(
    checks: readonly WriterCheck[],
    ops: readonly WriterOp[],
    sign?: WriterSigned,
  ): Promise<WriterResult> {
    let signing: WriterRequest['sign'];
    const transfer: ArrayBuffer[] = [];
    if (sign && sign.digests.length > 0) {
      const size = sign.digests[0]!.length;
      const odd = sign.digests.find((digest) => digest.length !== size);
      if (odd || sign.slots.length !== sign.digests.length) {
        throw new VeritermError(
          'writer_sign_input',
          `Expected one slot per digest and ${size}-byte digests, got ${sign.slots.length} slots and a ${(odd ?? sign.digests[0]!).length}-byte digest`,
        );
      }
      // Not from Buffer's shared pool: the buffer is transferred (detached) below.
      const digests = Buffer.allocUnsafeSlow(sign.digests.length * size);
      for (const [i, digest] of sign.digests.entries()) digests.set(digest, i * size);
      signing = { digests, size, slots: sign.slots };
      transfer.push(digests.buffer as ArrayBuffer);
    }
    const answer = await this.#requests.send<WriterAnswer>(
      { checks, ops, ...(signing ? { sign: signing } : {}) },
      transfer,
    );
    if (answer.error !== undefined) {
      // A full disk is named as such (the transaction rolled back: nothing was written).
      if (isDiskFull(answer.code)) throw diskFullError(this.#file, answer.code);
      throw new VeritermError(`${this.#name.code}_failed`, `${this.#name.text} failed: ${answer.error}`, {
        cause: answer.code,
      });
    }
    const signatures: Buffer[] = [];
    if (answer.signatures) {
      const all = Buffer.from(
        answer.signatures.buffer,
        answer.signatures.byteOffset,
        answer.signatures.byteLength,
      );
      for (let i = 0; i < all.length; i += 64) signatures.push(all.subarray(i, i + 64));
    }
    return { committed: answer.result === 'committed', signatures };
  }

  /** Closes the worker's connection and stops it once pending writes are answered. */
  async close(): Promise<void> {
    if (this.#requests.failed) return;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    // An idle worker is unref'd; held until it has closed its connection, or a caller with nothing
    // else pending (a one-shot command) would see its process end before the close resolves.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
  }
}
