import type { CheckoutService, PreparedSale } from './checkout.js';
import type { SaleInput, SaleOutcome } from './checkout-types.js';

interface Pending {
  prepared: PreparedSale;
  resolve: (outcome: SaleOutcome) => void;
  reject: (error: unknown) => void;
}

/** Each sale's own result inside a batch (a sale that throws fails alone). */
type Result = { ok: true; outcome: SaleOutcome } | { ok: false; error: unknown };

/**
 * Group commit for sales arriving together (several lanes or POS clients on one terminal): the
 * sales waiting when a batch starts are written in ONE durable transaction, so they share one
 * fsync instead of queueing for one each. Each sale is its own all-or-nothing step, so a sale
 * that fails rolls back alone; none is answered before the whole batch is committed
 * (synchronous=FULL), and receipts are queued only after that.
 *
 * The batch is first planned against the ledger's head (LedgerPlan) and its records are signed
 * on the identity's worker thread, while this thread goes on parsing and verifying the next
 * requests; then the records are written if the head has not moved. If it has (another writer
 * appended meanwhile) or the worker is unavailable, the batch is redone under the write lock and
 * signed here, as `completeSale` does. One batch is in flight at a time: sales arriving while it
 * is signed form the next batch.
 */
export class SaleBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(
    private readonly checkout: CheckoutService,
    /** Largest batch; more waits for the next one. @default 64 */
    private readonly maxBatch = 64,
  ) {}

  submit(input: SaleInput): Promise<SaleOutcome> {
    const prepared = this.checkout.prepare(input);
    if ('ok' in prepared) return Promise.resolve(prepared);
    return new Promise((resolve, reject) => {
      this.pending.push({ prepared, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    const batch = this.pending.splice(0, this.maxBatch);
    try {
      let results: Result[];
      try {
        results = (await this.commitSignedOffThread(batch)) ?? this.commitOnThread(batch);
      } catch (error) {
        // The commit itself failed (disk, lock timeout): nothing in the batch was written.
        for (const item of batch) item.reject(error);
        return;
      }
      for (const [i, item] of batch.entries()) {
        const result = results[i]!;
        if (!result.ok) {
          item.reject(result.error);
          continue;
        }
        this.checkout.afterCommit(result.outcome);
        item.resolve(result.outcome);
      }
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  /** Plan, sign on the worker, commit. Undefined when the batch must be redone on this thread. */
  private async commitSignedOffThread(batch: Pending[]): Promise<Result[] | undefined> {
    const ledger = this.checkout.ledger;
    const plan = ledger.plan();
    const results = batch.map((item) =>
      attempt(() => plan.transaction(() => this.checkout.commitPrepared(item.prepared, plan))),
    );
    if (plan.planned.length === 0) return results;
    let signatures: Buffer[];
    try {
      signatures = await ledger.identity.signAll(plan.digests);
    } catch {
      return undefined;
    }
    return ledger.commitPlan(plan, signatures) ? results : undefined;
  }

  /** The whole batch under the write lock, each sale in its own savepoint, signed here. */
  private commitOnThread(batch: Pending[]): Result[] {
    const ledger = this.checkout.ledger;
    return ledger.transaction(() =>
      batch.map((item) =>
        attempt(() => ledger.transaction(() => this.checkout.commitPrepared(item.prepared))),
      ),
    );
  }
}

function attempt(fn: () => SaleOutcome): Result {
  try {
    return { ok: true, outcome: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
