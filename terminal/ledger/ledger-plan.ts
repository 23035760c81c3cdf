import { VeritermError } from '../errors.js';
import type { SalePayload, WriteOffPayload } from './payloads.js';
import type { ActiveWriteOff, LedgerRecord, RecordType, SaleWriter, StoredSale } from './types.js';

/** The chain position a record follows. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** A record computed but not yet written: `record.signature` is empty until it is signed. */
export interface BuiltRecord {
  record: LedgerRecord;
  payloadJson: string;
  /** SHA-256 of the record's canonical bytes: what the signature covers. */
  digest: Buffer;
}

export interface LedgerPlanOptions {
  /** The head the plan starts at (ignored when it follows another plan: that plan's tail). */
  base: ChainHead;
  now: Date;
  storeId: string;
  terminalId: string;
  /** Committed state, for what the plan has not written itself. */
  reads: PlanReads;
  /**
   * A plan not yet committed that this one follows (pipelined group commits): until it settles,
   * reads go through it so they see its sales and write-offs too.
   */
  after?: LedgerPlan;
  build(type: RecordType, payload: Record<string, unknown>, head: ChainHead, now: Date): BuiltRecord;
}

type PlanReads = Pick<SaleWriter, 'writeOffsOf' | 'splitSoldOf' | 'saleByExternalRef'>;

/** Record types a plan may hold: none of them changes an earlier record's projections. */
const PLANNABLE: ReadonlySet<RecordType> = new Set(['sale', 'write_off', 'alert', 'receipt_printed']);

/**
 * A group commit computed ahead of its transaction, so its signatures can be made off the event
 * loop (Ledger.plan → sign `digests` → Ledger.commitPlan). Appends get their ids, sequence
 * numbers, chain hashes and digests from the head the plan started at; reads see committed state
 * plus the plan's own sales and write-offs, as they would inside the transaction. `transaction`
 * gives each sale its own all-or-nothing step, like a savepoint. The plan is only valid while the
 * head has not moved: commitPlan checks that under the write lock, since every change to the
 * ledger's tables that a sale's checks read comes with a new record. A plan may follow another
 * that is still being signed (`after`): it starts at that plan's tail and reads through it, and
 * commits only if that plan committed first.
 */
export class LedgerPlan implements SaleWriter {
  readonly base: ChainHead;
  readonly storeId: string;
  readonly terminalId: string;
  readonly #options: LedgerPlanOptions;
  readonly #planned: BuiltRecord[] = [];
  /** The plan's own sales by externalRef and by id, and active write-offs by code key. */
  #salesByRef = new Map<string, StoredSale>();
  #salesById = new Map<string, StoredSale>();
  #writeOffs = new Map<string, ActiveWriteOff>();
  /** Parts of split packs the plan's own sales sell, by code key. */
  #parts = new Map<string, number>();
  #after: LedgerPlan | undefined;
  #settled = false;

  constructor(options: LedgerPlanOptions) {
    this.#options = options;
    this.#after = options.after;
    this.base = options.after ? options.after.tail : options.base;
    this.storeId = options.storeId;
    this.terminalId = options.terminalId;
  }

  /** The planned records in chain order. */
  get planned(): readonly BuiltRecord[] {
    return this.#planned;
  }

  /** Where the next record would go: the last planned record, or the base. */
  get tail(): ChainHead {
    const last = this.#planned.at(-1)?.record;
    return last ? { seq: last.seq, hash: last.hash } : this.base;
  }

  /** Whether the plan has been committed or given up (a plan following it then reads the ledger). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Marks the plan committed or abandoned; it drops its link to the plan it followed. */
  settle(): void {
    this.#settled = true;
    this.#after = undefined;
  }

  /** What to sign, one digest per planned record, in order. */
  get digests(): Buffer[] {
    return this.#planned.map((p) => p.digest);
  }

  append<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P> {
    if (!PLANNABLE.has(type)) {
      throw new VeritermError(
        'ledger_plan_type',
        `A plan cannot hold '${type}' records; append them directly`,
      );
    }
    const built = this.#options.build(type, payload, this.tail, this.#options.now);
    this.#planned.push(built);
    this.#index(built.record);
    return built.record as LedgerRecord<P>;
  }

  /** Runs `fn`; if it throws, every append it made is dropped from the plan. */
  transaction<T>(fn: () => T): T {
    const mark = this.#planned.length;
    try {
      return fn();
    } catch (error) {
      if (this.#planned.length > mark) {
        this.#planned.length = mark;
        this.#reindex();
      }
      throw error;
    }
  }

  writeOffsOf(keys: readonly string[]): Map<string, ActiveWriteOff> {
    const found = this.#reads().writeOffsOf(keys);
    for (const key of keys) {
      const planned = this.#writeOffs.get(key);
      if (planned) found.set(key, planned);
    }
    return found;
  }

  splitSoldOf(keys: readonly string[]): Map<string, number> {
    const found = this.#reads().splitSoldOf(keys);
    for (const key of keys) {
      const planned = this.#parts.get(key);
      if (planned) found.set(key, (found.get(key) ?? 0) + planned);
    }
    return found;
  }

  saleByExternalRef(externalRef: string): StoredSale | undefined {
    return this.#salesByRef.get(externalRef) ?? this.#reads().saleByExternalRef(externalRef);
  }

  /** The plan this one follows while it is unsettled, else committed state. */
  #reads(): PlanReads {
    if (this.#after?.settled) this.#after = undefined;
    return this.#after ?? this.#options.reads;
  }

  #index(record: LedgerRecord): void {
    if (record.type === 'sale') {
      const sale: StoredSale = { sale: record as LedgerRecord<SalePayload>, writeOffs: [] };
      this.#salesById.set(record.id, sale);
      const payload = record.payload as SalePayload;
      if (payload.externalRef !== undefined) this.#salesByRef.set(payload.externalRef, sale);
      for (const line of payload.lines) {
        if (line.part)
          this.#parts.set(line.codeKey, (this.#parts.get(line.codeKey) ?? 0) + line.part.quantity);
      }
    } else if (record.type === 'write_off') {
      const payload = record.payload as WriteOffPayload;
      this.#salesById.get(payload.saleId)?.writeOffs.push(record as LedgerRecord<WriteOffPayload>);
      this.#writeOffs.set(payload.codeKey, {
        at: record.at,
        saleId: payload.saleId,
        storeId: record.storeId,
        terminalId: record.terminalId,
        writeOffId: record.id,
        writeOffSeq: record.seq,
      });
    }
  }

  #reindex(): void {
    this.#salesByRef = new Map();
    this.#salesById = new Map();
    this.#writeOffs = new Map();
    this.#parts = new Map();
    for (const built of this.#planned) this.#index(built.record);
  }
}
