import type { IngestBatch, IngestResult } from './storage/ingest-types.js';

/**
 * Received record batches on their way into storage: which batches go into which ingest call
 * (one transaction), and how many calls run at once.
 *
 * - Batches arriving while calls run wait for the next call and so join one: on PostgreSQL a call
 *   costs ~1.3 ms of CPU and round trips whatever it holds, and a call per message made a busy
 *   fleet's one-sale batches into one call each (docs/scaling.md).
 * - A call takes at most `maxBatches` batches, or more while they add up to `maxBytes`.
 * - One terminal's batches are ingested one call after another, in arrival order: two
 *   transactions of this worker racing for one terminal's tip would make the later batch a gap.
 *   Calls of different terminals may overlap (`maxCalls`, on PostgreSQL 2: the database works on
 *   one while this worker prepares and checks the other); a second call starts only when a whole
 *   call's worth is waiting, so a lightly loaded worker still groups its batches.
 * - Batches are kept as received and decoded when taken, so their records live for one pass
 *   and die young; while a call waits on the database, the batches the next call will take are
 *   decoded as they arrive, so this worker's CPU overlaps the database's.
 * - A batch that starts beyond its terminal's stored tip (its predecessor is with another worker)
 *   is held and retried every `heldRetryMs` until `gapGraceMs`, then ingested as it is (a real gap
 *   is alerted as before); above `maxHeld` waiting, nothing more is held.
 */
export interface IngestQueueOptions {
  /** The batch a received payload stands for, or undefined when it is refused (the decoder logs or alerts). */
  decode(storeId: string, terminalId: string, payload: Buffer): IngestBatch | undefined;
  /** One storage call: one transaction, one result per batch. */
  ingest(batches: IngestBatch[]): Promise<IngestResult[]>;
  /** After a call: acknowledgements and notes (held batches are already back in the queue). */
  ingested(batches: readonly IngestBatch[], results: readonly IngestResult[]): Promise<void>;
  maxBatches: number;
  maxBytes: number;
  maxCalls: number;
  gapGraceMs: number;
  maxHeld: number;
  heldRetryMs: number;
  /** Starts tracking work that stop() must let finish. */
  track(work: Promise<unknown>): void;
  onError(error: unknown): void;
}

interface Waiting {
  storeId: string;
  terminalId: string;
  bytes: number;
  payload?: Buffer;
  /** Decoded: the batch, or null when it was refused. */
  batch?: IngestBatch | null;
  /** When it was first tried (held batches keep it). */
  since?: number;
}

export class IngestQueue {
  private waiting: Waiting[] = [];
  /** `waiting[0 … decoded)` is decoded, `decodedBytes` of it. */
  private decoded = 0;
  private decodedBytes = 0;
  private readonly busy = new Map<string, number>();
  private calls = 0;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: IngestQueueOptions) {}

  /** A batch received from a terminal. */
  push(storeId: string, terminalId: string, payload: Buffer): void {
    this.waiting.push({ storeId, terminalId, payload, bytes: payload.length });
    if (this.calls > 0) this.decodeAhead();
    this.schedule();
  }

  /** Nothing waits to be taken by a scheduled call. */
  get idle(): boolean {
    return !this.scheduled;
  }

  /** Batches waiting (held ones included). */
  get length(): number {
    return this.waiting.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.waiting.length === 0) return;
    if (this.calls >= this.options.maxCalls) return; // the next call's end schedules
    // A second call only for a whole call's worth: fewer, fuller calls while the load is light.
    if (this.calls > 0 && (this.waiting.length < this.options.maxBatches || !this.anyFree())) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.options.track(this.flush().catch((error: unknown) => this.options.onError(error)));
    });
  }

  /** Whether a waiting batch belongs to a terminal no running call holds. */
  private anyFree(): boolean {
    return this.waiting.some((w) => !this.busy.has(`${w.storeId}/${w.terminalId}`));
  }

  private decodeAhead(): void {
    const { maxBatches, maxBytes } = this.options;
    while (
      this.decoded < this.waiting.length &&
      (this.decoded < maxBatches || this.decodedBytes + this.waiting[this.decoded]!.bytes <= maxBytes)
    ) {
      const w = this.waiting[this.decoded++]!;
      this.decodedBytes += w.bytes;
      this.decode(w);
    }
  }

  private decode(w: Waiting): void {
    if (w.batch !== undefined) return;
    w.batch = this.options.decode(w.storeId, w.terminalId, w.payload!) ?? null;
    w.payload = undefined;
  }

  /** Takes the next call's batches: in arrival order, none of a terminal another call holds. */
  private take(): Waiting[] {
    const { maxBatches, maxBytes } = this.options;
    const taken: Waiting[] = [];
    const left: Waiting[] = [];
    const skipped = new Set<string>();
    let bytes = 0;
    for (const w of this.waiting) {
      const key = `${w.storeId}/${w.terminalId}`;
      const full = taken.length >= maxBatches && bytes + w.bytes > maxBytes;
      if (full || this.busy.has(key) || skipped.has(key)) {
        // Later batches of a skipped terminal wait too: its order is kept.
        skipped.add(key);
        left.push(w);
        continue;
      }
      taken.push(w);
      bytes += w.bytes;
    }
    this.waiting = left;
    this.decoded = 0;
    this.decodedBytes = 0;
    return taken;
  }

  private async flush(): Promise<void> {
    const taken = this.take();
    if (taken.length === 0) return; // all of terminals other calls hold: their ends schedule
    const now = Date.now();
    const calls: { w: Waiting; batch: IngestBatch }[] = [];
    for (const w of taken) {
      this.decode(w);
      if (w.batch) calls.push({ w, batch: w.batch });
    }
    if (calls.length === 0) {
      this.schedule();
      return;
    }
    const { gapGraceMs, maxHeld } = this.options;
    const batches = calls.map(({ w, batch }) => {
      w.since ??= now;
      return {
        ...batch,
        holdIfEarly: gapGraceMs > 0 && now - w.since < gapGraceMs && this.waiting.length < maxHeld,
      };
    });
    const keys = [...new Set(batches.map((b) => `${b.storeId}/${b.terminalId}`))];
    for (const key of keys) this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    this.calls++;
    // Another call may start at once for other terminals when a whole call's worth waits.
    this.schedule();
    let results: IngestResult[];
    try {
      const call = this.options.ingest(batches);
      // While the database works on it: decode what the next call takes (a backlog's included).
      await new Promise((resolve) => setImmediate(resolve));
      this.decodeAhead();
      results = await call;
    } finally {
      this.calls--;
      for (const key of keys) {
        const n = this.busy.get(key)! - 1;
        if (n === 0) this.busy.delete(key);
        else this.busy.set(key, n);
      }
    }
    // Held batches go back to the front, before anything of their terminals that came later.
    const held = calls.filter((_, i) => results[i]!.held).map(({ w }) => w);
    if (held.length > 0) {
      this.waiting = [...held, ...this.waiting];
      this.decoded = 0;
      this.decodedBytes = 0;
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        this.schedule();
      }, this.options.heldRetryMs);
    }
    // Held ones are retried after heldRetryMs, not at once.
    if (this.waiting.length > held.length) this.schedule();
    await this.options.ingested(batches, results);
  }
}
