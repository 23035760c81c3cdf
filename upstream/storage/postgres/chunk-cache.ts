/**
 * Least recently used values bounded by their total size, for immutable data read from the
 * database (release chunks, release descriptions). Concurrent misses of one key share one load:
 * a thousand kiosks asking for a new delta's chunk at once cost one query.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private readonly loading = new Map<string, Promise<V | undefined>>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxSize: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get size(): number {
    return this.total;
  }

  peek(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.total -= old.size;
    this.entries.delete(key);
  }

  set(key: string, value: V): void {
    const size = this.sizeOf(value);
    if (size > this.maxSize) return;
    const old = this.entries.get(key);
    if (old) {
      this.total -= old.size;
      this.entries.delete(key);
    }
    this.entries.set(key, { value, size });
    this.total += size;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxSize) break;
      this.entries.delete(k);
      this.total -= e.size;
    }
  }

  /** The cached value, or `load`'s (cached when defined). */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.peek(key);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    this.misses++;
    const next = load()
      .then((value) => {
        if (value !== undefined) this.set(key, value);
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, next);
    return next;
  }
}
