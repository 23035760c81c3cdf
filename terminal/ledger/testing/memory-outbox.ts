import { VeritermError } from '../../errors.js';
import { GENESIS_HASH } from '../canonical.js';
import type { LedgerRecord, OutboxReader, PendingRun } from '../types.js';

/**
 * An in-memory outbox for tests of what drains it (terminal/sync): the same contract as the
 * ledger's outbox (test/contracts/outbox.contract.test.ts runs both), with records the test makes.
 * It offers the `pendingRun` fast path too, built from the records, so a drain sees what it sees
 * on a real ledger.
 */
export class MemoryOutbox implements OutboxReader {
  readonly #records: LedgerRecord[] = [];
  #acked = 0;

  /** The highest sequence acknowledged so far. */
  get acked(): number {
    return this.#acked;
  }

  /** Appends records; each must follow the last one (seq + 1), as the ledger guarantees. */
  push(...records: LedgerRecord[]): this {
    for (const record of records) {
      const expected = (this.#records.at(-1)?.seq ?? 0) + 1;
      if (record.seq !== expected) {
        throw new VeritermError('outbox_seq', `Expected record seq ${expected}, got ${record.seq}`);
      }
      this.#records.push(record);
    }
    return this;
  }

  pending(afterSeq: number, limit: number): LedgerRecord[] {
    const from = Math.max(afterSeq, this.#acked);
    return this.#records.filter((r) => r.seq > from).slice(0, limit);
  }

  pendingRun(afterSeq: number, limit: number, maxBytes: number): PendingRun | undefined {
    const all = this.pending(afterSeq, limit);
    if (all.length === 0) return undefined;
    // At least one record, then as many as fit in maxBytes (as the ledger's reader promises).
    let run = all;
    let columns = columnsOf(run);
    while (run.length > 1 && columns.length > maxBytes) {
      run = run.slice(0, run.length - 1);
      columns = columnsOf(run);
    }
    const first = run[0]!;
    return {
      count: run.length,
      firstSeq: first.seq,
      lastSeq: run.at(-1)!.seq,
      prevHash: first.prevHash ?? GENESIS_HASH,
      columns,
    };
  }

  acknowledge(seq: number): void {
    const head = this.#records.at(-1)?.seq ?? 0;
    if (seq > head)
      throw new VeritermError(
        'ledger_ack_ahead',
        `Cannot acknowledge seq ${seq}: the ledger ends at ${head}`,
      );
    if (seq > this.#acked) this.#acked = seq;
  }

  stats(): { pending: number; oldestPendingAt?: string; lastAckedSeq: number } {
    const waiting = this.#records.filter((r) => r.seq > this.#acked);
    const oldest = waiting[0]?.at;
    return {
      pending: waiting.length,
      ...(oldest ? { oldestPendingAt: oldest } : {}),
      lastAckedSeq: this.#acked,
    };
  }
}

/** The version 2 batch columns (types.ts `PendingRun`) of consecutive records. */
function columnsOf(records: readonly LedgerRecord[]): Buffer {
  const list = (f: (r: LedgerRecord) => unknown) => JSON.stringify(records.map(f));
  const payloads = `[${records.map((r) => JSON.stringify(r.payload)).join(',')}]`;
  return Buffer.from(
    `"ids":${list((r) => r.id)},"types":${list((r) => r.type)},"ats":${list((r) => r.at)},"payloads":${payloads},"sigs":${list((r) => r.signature)}`,
  );
}
