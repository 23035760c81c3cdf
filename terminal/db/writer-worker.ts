import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import { WORKER_SIGNER_SOURCE, type WorkerSigningKey } from '../identity/ed25519.js';
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
 * Plain JavaScript evaluated from a string, so it runs the same from sources, dist/ and vitest.
 *
 * A write may also carry columns to sign (`sign`): with a signing key (the ledger's records are
 * signed here, so a group commit makes one thread hop instead of two), the worker signs each
 * digest and puts its base64 signature into the op parameter named for it.
 *
 * Messages: `{ id, checks: [[check, params, row | null], …], ops: [[statement, params], …],
 * sign?: { digests, size, slots: [[op, param], …] } }` → `{ id, result: 'committed' | 'moved',
 * signatures? }` (n × 64 bytes, when committed) or `{ id, error, code }`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${WORKER_SIGNER_SOURCE}
const Database = require(workerData.driver);
const signer = workerData.signing ? makeSigner(workerData.signing) : undefined;
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
for (const pragma of workerData.pragmas) db.pragma(pragma);
const checks = workerData.checks.map((sql) => db.prepare(sql).raw());
const statements = workerData.statements.map((sql) => db.prepare(sql));
function holds([check, params, expected]) {
  const row = checks[check].get(...params);
  if (row === undefined || expected === null) return row === undefined && expected === null;
  return row.length === expected.length && row.every((value, i) => value === expected[i]);
}
// One write: its own savepoint inside the group transaction below.
const one = db.transaction((m) => {
  if (!m.checks.every(holds)) return 'moved';
  for (const [statement, params] of m.ops) statements[statement].run(...params);
  return 'committed';
});
const all = db.transaction((writes) =>
  writes.map((m) => {
    if (m.signError) return { id: m.id, error: m.signError };
    try {
      return { id: m.id, result: one(m) };
    } catch (error) {
      return { id: m.id, error: String((error && error.message) || error), code: error && error.code };
    }
  }),
);
// A write's signed columns: each digest's base64 signature goes into its [op, param] slot, and
// the raw signatures back to the owner. Made before the transaction, so the lock is held no longer.
function signInto(m) {
  if (!signer) throw new Error('this writer has no signing key; the write asked for signed columns');
  const { digests, size, slots } = m.sign;
  const out = Buffer.allocUnsafeSlow(slots.length * 64);
  for (let i = 0; i < slots.length; i++) {
    const signature = signer(digests.subarray(i * size, (i + 1) * size));
    signature.copy(out, i * 64);
    m.ops[slots[i][0]][1][slots[i][1]] = signature.toString('base64');
  }
  m.signatures = out;
}
let queue = [];
let scheduled = false;
function drain() {
  scheduled = false;
  const taken = queue;
  queue = [];
  const closeAt = taken.indexOf('close');
  const writes = closeAt === -1 ? taken : taken.slice(0, closeAt);
  if (writes.length > 0) {
    for (const m of writes) {
      try {
        if (m.sign) signInto(m);
      } catch (error) {
        m.signError = 'signing failed: ' + String((error && error.message) || error);
      }
    }
    let answers;
    try {
      answers = all.immediate(writes);
    } catch (error) {
      // The commit itself failed: nothing in it was written.
      const e = { error: String((error && error.message) || error), code: error && error.code };
      answers = writes.map((m) => ({ id: m.id, ...e }));
    }
    for (const [i, answer] of answers.entries()) {
      const signatures = writes[i].signatures;
      if (signatures && answer.result === 'committed') {
        answer.signatures = signatures;
        parentPort.postMessage(answer, [signatures.buffer]);
      } else {
        parentPort.postMessage(answer);
      }
    }
  }
  if (closeAt !== -1) {
    db.close();
    parentPort.close();
  }
}
parentPort.on('message', (m) => {
  queue.push(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
`;

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

export class SqliteWriterWorker {
  readonly #worker: Worker;
  readonly #requests: WorkerRequests;
  readonly #name: WriterWorkerOptions['name'];
  readonly #file: string;

  constructor({ name, ...options }: WriterWorkerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#name = name;
    this.#file = options.file;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...options, driver } });
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
    let signing: { digests: Buffer; size: number; slots: WriterSigned['slots'] } | undefined;
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
    const answer = await this.#requests.send<{
      id: number;
      result?: string;
      signatures?: Uint8Array;
      error?: string;
      code?: string;
    }>({ checks, ops, ...(signing ? { sign: signing } : {}) }, transfer);
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
    this.#worker.postMessage('close');
    await exited;
  }
}
