/**
 * Per-terminal token buckets for the requests a terminal makes of upstream (`registry/req`,
 * `ledger/req`): each answer costs upstream a read and a publish, so one terminal (or a stolen
 * login) must not be able to make it work without bound. A request over the limit is dropped
 * unanswered (answering would be the work being limited); the terminal's request times out and
 * its transfer retries with backoff. The buckets are bounded too: past `maxKeys` the oldest goes.
 */
export class RequestLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number; refusing: boolean }>();
  /** Requests dropped since start. */
  dropped = 0;

  constructor(
    private readonly options: { burst: number; perSecond: number; maxKeys?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether `key` may make one more request now. `onFirstRefusal` runs once per run of refusals
   * (so a flood logs one line, not one per message).
   */
  take(key: string, onFirstRefusal?: () => void): boolean {
    const nowMs = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= (this.options.maxKeys ?? 100_000)) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = { tokens: this.options.burst, atMs: nowMs, refusing: false };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(
      this.options.burst,
      bucket.tokens + ((nowMs - bucket.atMs) * this.options.perSecond) / 1000,
    );
    bucket.atMs = nowMs;
    if (bucket.tokens < 1) {
      this.dropped++;
      if (!bucket.refusing) onFirstRefusal?.();
      bucket.refusing = true;
      return false;
    }
    bucket.tokens -= 1;
    bucket.refusing = false;
    return true;
  }

  /** How many terminals have a bucket (bounded by `maxKeys`). */
  size(): number {
    return this.buckets.size;
  }
}
