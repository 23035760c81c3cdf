import { type KeyObject, randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { openDatabase, type SqliteDatabase, writablePragmas } from '../db/open-database.js';
import { SqliteWriterWorker, type WriterCheck, type WriterOp } from '../db/writer-worker.js';
import { VeritermError } from '../errors.js';
import type { TerminalIdentity } from '../identity/terminal-key.js';
import { canonicalJson, GENESIS_HASH, recordDigest } from './canonical.js';
import { type BuiltRecord, type ChainHead, LedgerPlan } from './ledger-plan.js';
import { LedgerReads } from './ledger-reads.js';
import type { ReturnPayload, SalePayload, WriteOffPayload } from './payloads.js';
import { decodePayload } from './record-decoders.js';
import { migrateLedger } from './schema.js';
import { INSERT_SPLIT_PART_SQL, replaySplitParts } from './split-parts.js';
import {
  type LedgerRecord,
  type LocalLedgerView,
  type OutboxReader,
  RECORD_TYPES,
  type RecordAppender,
  type RecordType,
} from './types.js';
import { type ChainResult, verifyChain } from './verify-chain.js';

export interface LedgerOptions {
  /** An open database (shared with other modules) or a file to open with WAL + synchronous=FULL. */
  db?: SqliteDatabase;
  file?: string;
  identity: TerminalIdentity;
  storeId: string;
  terminalId: string;
  /** @default () => new Date() */
  clock?: () => Date;
}

/**
 * The statements a record's rows are written with, on this thread or by the writer worker
 * (by index: see `rowsOf`).
 */
const WRITE_SQL = [
  `INSERT INTO ledger_records (seq, id, type, at, store_id, terminal_id, payload, prev_hash, hash, signature)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  'INSERT INTO ledger_outbox (seq) VALUES (?)',
  'INSERT INTO ledger_sales (sale_id, seq, external_ref, at) VALUES (?, ?, ?, ?)',
  `INSERT INTO ledger_write_offs (seq, record_id, code_key, sale_id, at, store_id, terminal_id)
   VALUES (?, ?, ?, ?, ?, ?, ?)`,
  INSERT_SPLIT_PART_SQL,
] as const;
/** Where a record row (WRITE_SQL[0]) takes its signature. */
const SIGNATURE_PARAM = 9;
const HEAD_SQL = 'SELECT seq, hash FROM ledger_records ORDER BY seq DESC LIMIT 1';
const BUSY_TIMEOUT_MS = 5000;

/** The writer worker's check that the chain head is still `base` (no row: the genesis head). */
function headIs(base: ChainHead): WriterCheck {
  return [0, [], base.seq === 0 ? null : [base.seq, base.hash]];
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(RECORD_TYPES);

/**
 * The terminal's tamper-evident ledger. `append` and `transaction` are the only writers; every
 * commit is durable (WAL, synchronous=FULL) before they return, with each record's outbox row
 * and projections in the same SQLite transaction. Several processes may share one file: a
 * transaction takes the write lock first (BEGIN IMMEDIATE) and reads the chain head under it.
 */
export class Ledger extends LedgerReads implements RecordAppender, LocalLedgerView, OutboxReader {
  readonly storeId: string;
  readonly terminalId: string;
  readonly identity: TerminalIdentity;
  private readonly clock: () => Date;
  private readonly nextId = monotonicFactory(pooledRandom());
  private readonly ownsDb: boolean;
  private now: Date | undefined;
  /** The last time a record was built at, and its ISO text (see `build`). */
  private lastMs = Number.NaN;
  private lastAt = '';
  /** Chain head inside one of our own transactions (undefined outside them). */
  private txHead: { seq: number; hash: string } | undefined;
  /** How many of our transaction levels (outer transaction, savepoints) are open. */
  private depth = 0;
  /** The level in which an append failed after writing part of its rows (see `level`). */
  private brokenAt: number | undefined;
  /** Set by an append once it has written its first row. */
  private writing = false;
  // Built once: better-sqlite3 builds wrapper functions on every `db.transaction(fn)` call.
  private readonly immediate: (fn: () => unknown) => unknown;
  private readonly nested: (fn: () => unknown) => unknown;
  private readonly stmts;
  private writer: SqliteWriterWorker | undefined;

  constructor(options: LedgerOptions) {
    const db = options.db ?? (options.file ? openDatabase(options.file) : undefined);
    if (!db) throw new VeritermError('ledger_options', 'Ledger needs `db` or `file`');
    migrateLedger(db);
    // Savepoints (one per sale in a group commit) and statement journals keep their copies of
    // the pages they touch in a temp file by default; in memory they cost a memcpy, not write(2)s.
    // Temp data is never needed after a crash (the WAL is the durable part).
    db.pragma('temp_store = MEMORY');
    super(db);
    this.ownsDb = options.db === undefined;
    this.identity = options.identity;
    this.storeId = options.storeId;
    this.terminalId = options.terminalId;
    this.clock = options.clock ?? (() => new Date());
    const run = db.transaction((fn: () => unknown) => fn());
    this.immediate = run.immediate;
    this.nested = run;
    this.stmts = {
      head: db.prepare(HEAD_SQL),
      writes: WRITE_SQL.map((sql) => db.prepare(sql)),
      reactivate: db.prepare(
        'UPDATE ledger_write_offs SET returned_seq = ? WHERE seq = ? AND code_key = ? AND returned_seq IS NULL',
      ),
      returnPart: db.prepare(
        'UPDATE ledger_split_parts SET returned_seq = ? WHERE seq = ? AND line = ? AND code_key = ? AND returned_seq IS NULL',
      ),
      ret: db.prepare('INSERT INTO ledger_returns (return_id, seq, external_ref, at) VALUES (?, ?, ?, ?)'),
      ack: db.prepare('DELETE FROM ledger_outbox WHERE seq <= ?'),
      setMeta: db.prepare(
        'INSERT INTO ledger_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
    this.bindKey();
  }

  /** Opens (creating if needed) a ledger database file. */
  static open(options: Omit<LedgerOptions, 'db'> & { file: string }): Ledger {
    return new Ledger(options);
  }

  /** Appends one record in its own durable transaction (or inside the caller's `transaction`). */
  append<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P> {
    if (this.depth === 0) {
      // Outside any transaction of ours: its own transaction (or, inside someone else's
      // transaction on a shared connection, its own savepoint).
      return this.transaction(() => this.appendJoined(type, payload));
    }
    return this.appendJoined(type, payload);
  }

  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction: every `append` inside commits together or not
   * at all. Nested calls join the outer transaction (SQLite savepoints).
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) {
      try {
        return this.nested(() => this.level(fn)) as T;
      } catch (error) {
        // A rolled-back savepoint may have held appends: read the head again next time.
        this.txHead = undefined;
        throw translate(error);
      }
    }
    // One time for every record of the transaction (a sale and its write-offs share `at`), taken
    // once the write lock is held so `at` follows `seq` across processes.
    const pinned = () => {
      this.now = this.clock();
      this.txHead = undefined;
      try {
        return this.level(fn);
      } finally {
        this.now = undefined;
        this.txHead = undefined;
      }
    };
    try {
      return this.immediate(pinned) as T;
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * One level of our transactions (the outer one or a savepoint). An append inside it has no
   * savepoint of its own (a savepoint copies every page it touches to a sub-journal, which was
   * most of the SQLite cost of a sale), so an append that fails half-way leaves its statements
   * in the transaction: the level it failed in is then rolled back even if `fn` caught the error.
   */
  private level<T>(fn: () => T): T {
    this.depth++;
    const depth = this.depth;
    let ok = false;
    try {
      const result = fn();
      if (this.brokenAt !== undefined && this.brokenAt >= depth) throw appendFailed();
      ok = true;
      return result;
    } finally {
      this.depth--;
      // A level that throws is rolled back, taking the half-written append with it.
      if (!ok && this.brokenAt !== undefined && this.brokenAt >= depth) this.brokenAt = undefined;
    }
  }

  /** Appends inside a level of ours; a failure marks that level for rollback. */
  private appendJoined<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P> {
    // Later appends would chain onto a half-written record: refuse until the level rolls back.
    if (this.brokenAt !== undefined) throw appendFailed();
    this.writing = false;
    try {
      return this.appendInTransaction(type, payload);
    } catch (error) {
      // Refused before its first row (bad type, bad payload): nothing to undo.
      if (this.writing && (this.brokenAt === undefined || this.brokenAt > this.depth)) {
        this.brokenAt = this.depth;
        this.txHead = undefined;
      }
      throw translate(error);
    } finally {
      this.writing = false;
    }
  }

  /**
   * Runs `fn`, which only reads, in one read transaction: one WAL snapshot and one set of lock
   * calls for all its statements instead of one per statement (a sale's checks make several).
   * Inside a transaction already, `fn` just runs in it.
   */
  reading<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : (this.nested(fn) as T);
  }

  /** Marks every record with seq <= `seq` acknowledged by upstream (removes their outbox rows). */
  acknowledge(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new VeritermError(
        'ledger_ack_invalid',
        `Expected a non-negative integer seq to acknowledge, got ${seq}`,
      );
    }
    this.transaction(() => {
      const head = this.headSeq();
      if (seq > head) {
        throw new VeritermError(
          'ledger_ack_ahead',
          `Cannot acknowledge seq ${seq}: the ledger ends at ${head}`,
        );
      }
      if (seq <= this.lastAckedSeq()) return;
      this.stmts.ack.run(seq);
      this.stmts.setMeta.run('last_acked_seq', String(seq));
    });
  }

  /**
   * Verifies this ledger's chain and signatures (with the key the chain is bound to by default);
   * `after` continues from a record already verified; `payloads` also decodes every payload.
   */
  verifyChain(
    publicKey: string | KeyObject = this.meta('public_key') ?? this.identity.publicKeyRaw,
    options: { after?: { seq: number; hash: string }; payloads?: boolean } = {},
  ): ChainResult {
    return verifyChain(this.iterate(options.after?.seq ?? 0), publicKey, options);
  }

  close(): void {
    void this.writer?.close();
    this.writer = undefined;
    if (this.ownsDb) this.db.close();
  }

  private appendInTransaction<P extends Record<string, unknown>>(
    type: RecordType,
    payload: P,
  ): LedgerRecord<P> {
    // The head is read once per transaction (under the write lock), then carried forward.
    const head = this.txHead ?? this.readHead();
    const built = this.build(type, payload, head, this.now ?? this.clock());
    built.record.signature = this.identity.sign(built.digest).toString('base64');
    this.writing = true;
    this.write(built);
    // Cached only inside our own transaction (`now` pinned): an outside transaction on a shared
    // connection must re-read the head each time.
    if (this.now !== undefined) this.txHead = { seq: built.record.seq, hash: built.record.hash };
    return built.record as LedgerRecord<P>;
  }

  /**
   * Starts a plan (see LedgerPlan): appends computed against the current head, or after `after`
   * (a plan still being signed), without writing or signing, for `commitPlan` once their digests
   * are signed off the event loop.
   */
  plan(after?: LedgerPlan): LedgerPlan {
    const follows = after && !after.settled ? after : undefined;
    return new LedgerPlan({
      base: follows ? follows.tail : this.readHead(),
      ...(follows ? { after: follows } : {}),
      now: this.clock(),
      storeId: this.storeId,
      terminalId: this.terminalId,
      reads: this,
      build: (type, payload, head, now) => this.build(type, payload, head, now),
    });
  }

  /**
   * Writes a plan's records with their signatures (in plan order) in one durable transaction,
   * if the chain head is still where the plan started. Returns false, writing nothing, if any
   * record was appended meanwhile (by this or another process), or the plan it followed did not
   * commit: the plan's reads may be stale, so the caller redoes its work under the write lock.
   * The plan is settled either way.
   */
  commitPlan(plan: LedgerPlan, signatures: readonly Uint8Array[]): boolean {
    try {
      attachSignatures(plan, signatures);
      return this.transaction(() => {
        const head = this.readHead();
        if (head.seq !== plan.base.seq || head.hash !== plan.base.hash) return false;
        for (const built of plan.planned) this.write(built);
        return true;
      });
    } finally {
      plan.settle();
    }
  }

  /**
   * `commitPlan` with the signatures, the inserts and the durable commit all made by the writer
   * worker (its own connection; one thread hop for the whole batch), so the event loop is free
   * meanwhile. Same answer as `commitPlan`; once it resolves true, the plan's records carry their
   * signatures. For in-memory databases and once the worker has stopped, it signs here and runs
   * `commitPlan`.
   */
  async commitPlanOffThread(plan: LedgerPlan): Promise<boolean> {
    const writer = this.writerFor();
    if (!writer) return this.commitPlan(plan, this.signHere(plan));
    const ops: WriterOp[] = [];
    const slots: [number, number][] = [];
    for (const built of plan.planned) {
      // The record's row is its first; the worker fills in its signature.
      slots.push([ops.length, SIGNATURE_PARAM]);
      ops.push(...rowsOf(built));
    }
    try {
      const { committed, signatures } = await writer.write([headIs(plan.base)], ops, {
        digests: plan.digests,
        slots,
      });
      if (committed) attachSignatures(plan, signatures);
      return committed;
    } catch (error) {
      if (!writer.failed) throw error; // the transaction failed and rolled back: nothing written
      // The worker stopped: whether it committed is in the chain head. Ed25519 is deterministic,
      // so signing here gives the signatures the worker wrote.
      const head = this.readHead();
      const tail = plan.tail;
      if (head.seq === tail.seq && head.hash === tail.hash) {
        attachSignatures(plan, this.signHere(plan));
        return true;
      }
      if (head.seq === plan.base.seq && head.hash === plan.base.hash)
        return this.commitPlan(plan, this.signHere(plan));
      return false;
    } finally {
      plan.settle();
    }
  }

  private signHere(plan: LedgerPlan): Buffer[] {
    return plan.digests.map((digest) => this.identity.sign(digest));
  }

  /** The writer worker, started on first use; none for in-memory databases or once it stopped. */
  private writerFor(): SqliteWriterWorker | undefined {
    if (this.db.memory || this.db.name === '' || this.writer?.failed) return undefined;
    this.writer ??= new SqliteWriterWorker({
      file: this.db.name,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      pragmas: [...writablePragmas('FULL'), 'temp_store = MEMORY'],
      checks: [HEAD_SQL],
      statements: WRITE_SQL,
      signing: this.identity.workerSigningKey(),
      name: { text: 'The ledger writer', code: 'ledger_write' },
    });
    return this.writer;
  }

  private readHead(): ChainHead {
    return (this.stmts.head.get() as ChainHead | undefined) ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** The record `payload` becomes after `head` at `now` (unsigned): nothing is written. */
  private build(type: RecordType, payload: Record<string, unknown>, head: ChainHead, now: Date): BuiltRecord {
    if (!KNOWN_TYPES.has(type)) {
      throw new VeritermError(
        'ledger_type_invalid',
        `Unknown record type '${type}'; expected one of ${RECORD_TYPES.join(', ')}`,
      );
    }
    const payloadJson = canonicalJson(payload);
    checkProjectable(type, payload);
    // A transaction's or a plan's records share one `now`: its text is made once.
    const ms = now.getTime();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastAt = now.toISOString();
    }
    const body = {
      id: this.nextId(ms),
      seq: head.seq + 1,
      type,
      at: this.lastAt,
      storeId: this.storeId,
      terminalId: this.terminalId,
      prevHash: head.hash,
      // The caller's object, not a copy (canonicalJson has checked it is JSON data): the record
      // as read back differs only in leaving out `undefined` members. Callers build a payload
      // for one append and do not change it afterwards.
      payload,
    };
    const digest = recordDigest(body, payloadJson);
    const record: LedgerRecord = { ...body, hash: digest.toString('hex'), signature: '' };
    return { record, payloadJson, digest };
  }

  /** Inserts a signed record, its outbox row and its projections (inside a transaction). */
  private write(built: BuiltRecord): void {
    for (const [statement, params] of rowsOf(built)) this.stmts.writes[statement]!.run(...params);
    if (built.record.type === 'return') this.reactivate(built.record as LedgerRecord<ReturnPayload>);
  }

  /** A return re-activates the write-offs it takes back (checked: each must be active). */
  private reactivate(record: LedgerRecord<ReturnPayload>): void {
    const s = this.stmts;
    for (const line of record.payload.lines) {
      if (
        line.writeOffSeq !== undefined &&
        s.reactivate.run(record.seq, line.writeOffSeq, line.codeKey).changes !== 1
      ) {
        throw new VeritermError(
          'not_written_off',
          `Code ${line.codeKey} has no active write-off at seq ${line.writeOffSeq}`,
        );
      }
      // A split-pack line: its parts are on hand again (split-parts.ts).
      if (
        line.part &&
        s.returnPart.run(record.seq, line.part.saleSeq, line.part.line, line.codeKey).changes !== 1
      ) {
        throw new VeritermError(
          'part_not_sold',
          `Code ${line.codeKey} has no unreturned split-pack line ${line.part.line} in the sale at seq ${line.part.saleSeq}`,
        );
      }
    }
    s.ret.run(record.id, record.seq, record.payload.externalRef ?? null, record.at);
  }

  /**
   * Rewrites the split-pack projection (`ledger_split_parts`) from the records alone, in one
   * transaction: the table is derived data, this is how it is checked or repaired.
   */
  rebuildSplitParts(): number {
    return this.transaction(() => {
      this.db.exec('DELETE FROM ledger_split_parts');
      const insert = this.stmts.writes[4]!;
      const mark = this.db.prepare(
        'UPDATE ledger_split_parts SET returned_seq = ? WHERE seq = ? AND line = ?',
      );
      const rows = replaySplitParts(this.iterate());
      for (const r of rows) {
        insert.run(r.saleSeq, r.line, r.codeKey, r.quantity, r.packQuantity);
        if (r.returnedSeq !== null) mark.run(r.returnedSeq, r.saleSeq, r.line);
      }
      return rows.length;
    });
  }

  /** Remembers the key the chain is signed with; refuses to continue a chain with another key. */
  private bindKey(): void {
    const stored = this.meta('public_key');
    if (stored === undefined) {
      this.transaction(() => {
        if (this.meta('public_key') === undefined)
          this.stmts.setMeta.run('public_key', this.identity.publicKeyRaw);
      });
    } else if (stored !== this.identity.publicKeyRaw) {
      throw new VeritermError(
        'ledger_key_mismatch',
        `This ledger is signed by another terminal key (stored key id differs from ${this.identity.keyId})`,
      );
    }
  }
}

/**
 * ULID randomness from a pooled crypto buffer: one randomFillSync per 4 KiB instead of one per
 * character (ulid's default), which showed up in the checkout profile.
 */
function pooledRandom(): () => number {
  const pool = Buffer.alloc(4096);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    return pool[at++]! / 256;
  };
}

/** Puts each signature (in plan order) on its planned record; refuses a wrong count. */
function attachSignatures(plan: LedgerPlan, signatures: readonly Uint8Array[]): void {
  const planned = plan.planned;
  if (signatures.length !== planned.length) {
    throw new VeritermError(
      'ledger_plan_signatures',
      `Expected ${planned.length} signatures for the plan, got ${signatures.length}`,
    );
  }
  for (const [i, built] of planned.entries()) {
    built.record.signature = Buffer.from(signatures[i]!).toString('base64');
  }
}

/**
 * A record's rows, as `[statement index in WRITE_SQL, params]`: the record, its outbox row and
 * the projection of a sale or a write-off (a return's projection updates rows: see `reactivate`).
 */
function rowsOf({ record, payloadJson }: BuiltRecord): WriterOp[] {
  const rows: WriterOp[] = [
    [
      0,
      [
        record.seq,
        record.id,
        record.type,
        record.at,
        record.storeId,
        record.terminalId,
        payloadJson,
        record.prevHash,
        record.hash,
        record.signature,
      ],
    ],
    [1, [record.seq]],
  ];
  if (record.type === 'sale') {
    const p = record.payload as SalePayload;
    rows.push([2, [record.id, record.seq, p.externalRef ?? null, record.at]]);
    // Split-pack lines (split-parts.ts); a whole-pack sale only pays for the test.
    p.lines.forEach((l, line) => {
      if (l.part) {
        rows.push([4, [record.seq, line, l.codeKey, l.part.quantity, l.part.packQuantity]]);
      }
    });
  } else if (record.type === 'write_off') {
    const p = record.payload as WriteOffPayload;
    rows.push([
      3,
      [record.seq, record.id, p.codeKey, p.saleId, record.at, record.storeId, record.terminalId],
    ]);
  }
  return rows;
}

function appendFailed(): VeritermError {
  return new VeritermError(
    'ledger_append_failed',
    'A ledger append failed half-way inside this transaction; the transaction is rolled back',
  );
}

/**
 * What the projections need of a payload, checked before the record's first row is written. A
 * write-off (one per sold line: the checkout's hot path) checks only the fields its projection
 * row takes; a return (rare, and it changes earlier rows) is decoded whole with its decoder.
 */
function checkProjectable(type: RecordType, payload: Record<string, unknown>): void {
  if (type === 'write_off') {
    requireString(payload.codeKey, 'write_off payload.codeKey');
    requireString(payload.saleId, 'write_off payload.saleId');
  } else if (type === 'return') {
    const decoded = decodePayload(type, payload);
    if (!decoded.ok) throw new VeritermError('ledger_payload_invalid', decoded.message);
  }
}

function requireString(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new VeritermError(
      'ledger_payload_invalid',
      `${what}: expected a non-empty string, got ${JSON.stringify(value)}`,
    );
  }
}

/** SQLite constraint failures become the domain faults they stand for. */
function translate(error: unknown): unknown {
  const message = error instanceof Error ? error.message : '';
  if (error instanceof VeritermError) return error;
  if (message.includes('ledger_write_offs.code_key')) {
    return new VeritermError(
      'already_written_off',
      'A code in this transaction already has an active write-off',
      { cause: error },
    );
  }
  if (message.includes('ledger_sales.external_ref') || message.includes('ledger_returns.external_ref')) {
    return new VeritermError('external_ref_taken', 'externalRef already used by another record', {
      cause: error,
    });
  }
  return error;
}
