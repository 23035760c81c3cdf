/**
 * Suppresses repeats of the same data within a sliding window: a scanner in continuous mode, a
 * double-read, or a trigger held over one label yields one scan. The window slides with every
 * repeat, so a label held under the scanner for ten seconds is still one scan. Unit codes are
 * unique per pack, so a repeat within the window is never a second real item; product-only
 * EANs scanned twice in a row are the one case that needs a shorter window (configurable).
 */
export class Debouncer {
  readonly #windowMs: number;
  readonly #lastSeen = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True when `key` seen at `at` (epoch ms) is a new scan, false when it repeats one inside the window. */
  accept(key: string, at: number): boolean {
    if (this.#windowMs <= 0) return true;
    this.#prune(at);
    const last = this.#lastSeen.get(key);
    this.#lastSeen.set(key, at);
    return last === undefined || at - last > this.#windowMs;
  }

  reset(): void {
    this.#lastSeen.clear();
  }

  // Bounded memory: entries older than the window can never suppress anything again.
  #prune(at: number): void {
    if (this.#lastSeen.size < 64) return;
    for (const [key, seen] of this.#lastSeen) {
      if (at - seen > this.#windowMs) this.#lastSeen.delete(key);
    }
  }
}
