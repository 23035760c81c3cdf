import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import { WorkerRequests } from '../threads/worker-requests.js';

/**
 * Writes a group commit's rows on a worker thread with its own SQLite connection, so the inserts
 * and the durable commit (an fsync with synchronous=FULL) do not hold up the event loop, which
 * meanwhile parses and verifies the next sales. The worker knows no ledger logic: it runs the
 * statements the Ledger hands it (SQL in the constructor, rows per batch) in a BEGIN IMMEDIATE
 * transaction, each batch in its own savepoint after checking that the chain head is still the one
 * it was planned after. Batches that queued up while the previous commit was syncing share one
 * transaction (one fsync); each gets its own answer once that commit is durable.
 * Plain JavaScript evaluated from a string, so it runs the same from sources, dist/ and vitest.
 *
 * Messages: `{ id, base: [seq, hash], ops: [[statement, params], …] }` →
 * `{ id, result: 'committed' | 'moved' }` or `{ id, error, code }`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('temp_store = MEMORY');
const head = db.prepare(workerData.headSql);
const statements = workerData.statements.map((sql) => db.prepare(sql));
// One batch: its own savepoint inside the group transaction below.
const one = db.transaction((base, ops) => {
  const h = head.get() || { seq: 0, hash: workerData.genesis };
  if (h.seq !== base[0] || h.hash !== base[1]) return 'moved';
  for (const [statement, params] of ops) statements[statement].run(...params);
  return 'committed';
});
// Writes that queued up while the last commit was syncing share one transaction and one fsync.
const all = db.transaction((writes) =>
  writes.map((m) => {
    try {
      return { id: m.id, result: one(m.base, m.ops) };
    } catch (error) {
      return { id: m.id, error: String((error && error.message) || error), code: error && error.code };
    }
  }),
);
let queue = [];
let scheduled = false;
function drain() {
  scheduled = false;
  const taken = queue;
  queue = [];
  const closeAt = taken.indexOf('close');
  const writes = closeAt === -1 ? taken : taken.slice(0, closeAt);
  if (writes.length > 0) {
    let answers;
    try {
      answers = all.immediate(writes);
    } catch (error) {
      // The commit itself failed: nothing in it was written.
      const e = { error: String((error && error.message) || error), code: error && error.code };
      answers = writes.map((m) => ({ id: m.id, ...e }));
    }
    for (const answer of answers) parentPort.postMessage(answer);
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

export interface WriterWorkerOptions {
  /** The ledger's database file (the worker opens its own connection). */
  file: string;
  busyTimeoutMs: number;
  /** SELECT seq, hash of the newest record. */
  headSql: string;
  genesis: string;
  /** Statements the ops refer to by index. */
  statements: readonly string[];
}

export type WriterOp = [statement: number, params: readonly (string | number | null)[]];

export class LedgerWriterWorker {
  readonly #worker: Worker;
  readonly #requests: WorkerRequests;

  constructor(options: WriterWorkerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...options, driver } });
    this.#requests = new WorkerRequests(this.#worker, 'The ledger writer', 'ledger_writer_stopped');
  }

  /** Whether the worker has stopped (callers then write on their own thread). */
  get failed(): boolean {
    return this.#requests.failed;
  }

  /**
   * Runs `ops` in one durable transaction if the head is `base`. Resolves true once committed,
   * false (nothing written) if the head had moved; rejects if the transaction failed (nothing
   * written) or the worker stopped (the outcome is then unknown: read the ledger).
   */
  async write(base: { seq: number; hash: string }, ops: readonly WriterOp[]): Promise<boolean> {
    const answer = await this.#requests.send<{ id: number; result?: string; error?: string; code?: string }>({
      base: [base.seq, base.hash],
      ops,
    });
    if (answer.error !== undefined) {
      throw new VeritermError('ledger_write_failed', `The ledger writer failed: ${answer.error}`, {
        cause: answer.code,
      });
    }
    return answer.result === 'committed';
  }

  /** Closes the worker's connection and stops it once pending writes are answered. */
  async close(): Promise<void> {
    if (this.#requests.failed) return;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage('close');
    await exited;
  }
}
