import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { VeritermError } from '../errors.js';
import { WorkerRequests } from '../threads/worker-requests.js';

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
 * Messages: `{ id, checks: [[check, params, row | null], …], ops: [[statement, params], …] }` →
 * `{ id, result: 'committed' | 'moved' }` or `{ id, error, code }`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
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
    try {
      return { id: m.id, result: one(m) };
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
  /** Names the worker in errors ("The ledger writer …") and in their codes (`ledger_write_failed`). */
  name: { text: string; code: string };
}

/** `check`'s row (its columns in order, as `raw()` returns them) must be `row`; null: no row. */
export type WriterCheck = [check: number, params: readonly SqlValue[], row: readonly SqlValue[] | null];
export type WriterOp = [statement: number, params: readonly SqlValue[]];

export class SqliteWriterWorker {
  readonly #worker: Worker;
  readonly #requests: WorkerRequests;
  readonly #name: WriterWorkerOptions['name'];

  constructor({ name, ...options }: WriterWorkerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#name = name;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...options, driver } });
    this.#requests = new WorkerRequests(this.#worker, name.text, `${name.code}_stopped`);
  }

  /** Whether the worker has stopped (callers then write on their own thread). */
  get failed(): boolean {
    return this.#requests.failed;
  }

  /**
   * Runs `ops` in one durable transaction if every check holds. Resolves true once committed,
   * false (nothing written) if a check did not hold; rejects if the transaction failed (nothing
   * written) or the worker stopped (the outcome is then unknown: read the database).
   */
  async write(checks: readonly WriterCheck[], ops: readonly WriterOp[]): Promise<boolean> {
    const answer = await this.#requests.send<{ id: number; result?: string; error?: string; code?: string }>({
      checks,
      ops,
    });
    if (answer.error !== undefined) {
      throw new VeritermError(`${this.#name.code}_failed`, `${this.#name.text} failed: ${answer.error}`, {
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
