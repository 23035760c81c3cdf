import type { CheckoutService, PreparedSale } from './checkout.js';
import type { SaleInput, SaleOutcome } from './checkout-types.js';

interface Pending {
  prepared: PreparedSale;
  resolve: (outcome: SaleOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for sales arriving together (several lanes or POS clients on one terminal): every
 * sale submitted in the same event-loop turn is written in ONE durable transaction, so they share
 * one fsync instead of queueing for one each. Each sale keeps its own savepoint, so a sale that
 * fails rolls back alone; none is answered before the whole batch is committed (synchronous=FULL),
 * and receipts are queued only after that. A single sale waits no longer than one loop turn.
 */
export class SaleBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly checkout: CheckoutService,
    /** Largest batch; more waits for the next turn. @default 64 */
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
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) this.schedule();
    const ledger = this.checkout.ledger;
    const results: ({ ok: true; outcome: SaleOutcome } | { ok: false; error: unknown })[] = [];
    try {
      ledger.transaction(() => {
        for (const item of batch) {
          try {
            results.push({
              ok: true,
              outcome: ledger.transaction(() => this.checkout.commitPrepared(item.prepared)),
            });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
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
  }
}
