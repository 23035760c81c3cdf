/**
 * Token buckets for scans: one per WebSocket connection and one shared by every anonymous client
 * (WebSocket and POST /api/v1/verify). A bucket holds up to `burst` tokens and refills at
 * `perSecond`; a scan takes one token or is refused. Refused scans are not verified and not logged,
 * so a flood costs a JSON parse and a short reply, and never reaches SQLite.
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #clock: () => number;
  #tokens: number;
  #at: number;

  constructor(options: { perSecond: number; burst: number; clock?: () => number }) {
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
    this.#clock = options.clock ?? performance.now.bind(performance);
    this.#tokens = options.burst;
    this.#at = this.#clock();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const now = this.#clock();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token (0 if one is there). */
  get waitMs(): number {
    const now = this.#clock();
    const tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#perMs);
  }
}

export interface ScanLimitOptions {
  scansPerSecond: number;
  scanBurst: number;
  anonymousScansPerSecond: number;
  anonymousScanBurst: number;
  wsRefusalsBeforeClose: number;
}

/** Why a scan was refused: this connection's own rate, or all anonymous clients' together. */
export type ScanRefusal = { code: 'rate_limited'; scope: 'connection' | 'anonymous'; retryAfterMs: number };

/** Refusals are counted over this window to decide when a connection is only flooding. */
const REFUSAL_WINDOW_MS = 10_000;

/** One connection's limits: its own bucket, the shared anonymous bucket, and its refusal count. */
export class ConnectionScanLimit {
  readonly #own: TokenBucket;
  readonly #shared: TokenBucket | undefined;
  readonly #closeAfter: number;
  readonly #clock: () => number;
  #refusals = 0;
  #windowStart: number;

  constructor(
    options: ScanLimitOptions,
    shared: TokenBucket | undefined,
    clock: () => number = performance.now.bind(performance),
  ) {
    this.#own = new TokenBucket({ perSecond: options.scansPerSecond, burst: options.scanBurst, clock });
    this.#shared = shared;
    this.#closeAfter = options.wsRefusalsBeforeClose;
    this.#clock = clock;
    this.#windowStart = clock();
  }

  /** undefined: go ahead; else why not. The connection's own bucket is asked first. */
  admit(): ScanRefusal | undefined {
    if (!this.#own.take()) {
      this.#countRefusal();
      return { code: 'rate_limited', scope: 'connection', retryAfterMs: this.#own.waitMs };
    }
    if (this.#shared && !this.#shared.take())
      return { code: 'rate_limited', scope: 'anonymous', retryAfterMs: this.#shared.waitMs };
    return undefined;
  }

  /**
   * Whether this connection is only flooding: its OWN limit refused `wsRefusalsBeforeClose` scans
   * within 10 s. Refusals by the shared anonymous limit do not count, so an honest kiosk page is
   * not closed because someone else floods.
   */
  get flooding(): boolean {
    return this.#refusals >= this.#closeAfter;
  }

  #countRefusal(): void {
    const now = this.#clock();
    if (now - this.#windowStart > REFUSAL_WINDOW_MS) {
      this.#windowStart = now;
      this.#refusals = 0;
    }
    this.#refusals++;
  }
}
