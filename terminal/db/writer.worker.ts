// The ledger writer's worker thread (started by SqliteWriterWorker in writer-worker.ts, which
// documents the protocol). It knows no domain logic: it runs the statements its owner handed it
// at start, with the rows of each write, in BEGIN IMMEDIATE transactions on its own connection.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { makeSigner } from '../identity/ed25519.js';
import type {
  SqlValue,
  WriterAnswer,
  WriterCheck,
  WriterRequest,
  WriterWorkerData,
} from './writer-worker.js';

const port = parentPort!;
const data = workerData as WriterWorkerData;
const signer = data.signing ? makeSigner(data.signing) : undefined;
const db = new Database(data.file, { timeout: data.busyTimeoutMs });
for (const pragma of data.pragmas) db.pragma(pragma);
const checks = data.checks.map((sql) => db.prepare(sql).raw());
const statements = data.statements.map((sql) => db.prepare(sql));

/** A write as it arrives, with what signing made of it before the transaction. */
interface Pending extends WriterRequest {
  signatures?: Buffer;
  signError?: string;
}

function holds([check, params, expected]: WriterCheck): boolean {
  const row = checks[check]!.get(...params) as SqlValue[] | undefined;
  if (row === undefined || expected === null) return row === undefined && expected === null;
  return row.length === expected.length && row.every((value, i) => value === expected[i]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One write: its own savepoint inside the group transaction below. */
const one = db.transaction((m: Pending): 'committed' | 'moved' => {
  if (!m.checks.every(holds)) return 'moved';
  for (const [statement, params] of m.ops) statements[statement]!.run(...params);
  return 'committed';
});

const all = db.transaction((writes: Pending[]): WriterAnswer[] =>
  writes.map((m): WriterAnswer => {
    if (m.signError !== undefined) return { id: m.id, error: m.signError };
    try {
      return { id: m.id, result: one(m) };
    } catch (error) {
      return { id: m.id, error: messageOf(error), code: codeOf(error) };
    }
  }),
);

/**
 * A write's signed columns: each digest's base64 signature goes into its [op, param] slot, and the
 * raw signatures back to the owner. Made before the transaction, so the lock is held no longer.
 */
function signInto(m: Pending): void {
  if (!m.sign) return;
  if (!signer) throw new Error('this writer has no signing key; the write asked for signed columns');
  const { digests, size, slots } = m.sign;
  const out = Buffer.allocUnsafeSlow(slots.length * 64);
  for (let i = 0; i < slots.length; i++) {
    const signature = signer(digests.subarray(i * size, (i + 1) * size));
    signature.copy(out, i * 64);
    const [op, param] = slots[i]!;
    (m.ops[op]![1] as SqlValue[])[param] = signature.toString('base64');
  }
  m.signatures = out;
}

let queue: (Pending | 'close')[] = [];
let scheduled = false;

/**
 * Writes that queued up while the previous commit was syncing share one transaction (one fsync);
 * each gets its own answer once that commit is durable.
 */
function drain(): void {
  scheduled = false;
  const taken = queue;
  queue = [];
  const closeAt = taken.indexOf('close');
  const writes = (closeAt === -1 ? taken : taken.slice(0, closeAt)) as Pending[];
  if (writes.length > 0) {
    for (const m of writes) {
      try {
        signInto(m);
      } catch (error) {
        m.signError = `signing failed: ${messageOf(error)}`;
      }
    }
    let answers: WriterAnswer[];
    try {
      answers = all.immediate(writes);
    } catch (error) {
      // The commit itself failed: nothing in it was written.
      answers = writes.map((m) => ({ id: m.id, error: messageOf(error), code: codeOf(error) }));
    }
    for (const [i, answer] of answers.entries()) {
      const signatures = writes[i]!.signatures;
      if (signatures && answer.result === 'committed') {
        answer.signatures = signatures;
        port.postMessage(answer, [signatures.buffer as ArrayBuffer]);
      } else {
        port.postMessage(answer);
      }
    }
  }
  if (closeAt !== -1) {
    db.close();
    port.close();
  }
}

port.on('message', (m: WriterRequest | 'close') => {
  queue.push(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
