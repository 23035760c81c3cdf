import { EventEmitter } from 'node:events';

/**
 * Limits of the PIN throttle (auth config; docs/security.md explains each choice).
 * Waits double with each failure past the free ones: `base · 2^(failures − free)`, capped.
 */
export interface PinThrottleOptions {
  /** Wrong PINs for one user from one source before that source waits. */
  perUserSourceFree: number;
  /** First wait for one user at one source (and for one source over all users); doubles after. */
  lockBaseMs: number;
  /** Longest wait one user at one source (or one source over all users) can be made to serve. */
  lockMaxMs: number;
  /** Wrong PINs from one source over all users (a spray of one PIN over every id) before it waits. */
  perSourceFree: number;
  /** Wrong PINs for one user from all sources before sources without a recent success for that user wait. */
  perUserFree: number;
  /** Longest per-user wait: all an attacker elsewhere can cost the real user at a new lane. */
  userLockMaxMs: number;
  /** A run of failures is forgotten after this long without a new one. */
  memoryMs: number;
  /** A source where a user signed in is exempt from that user's all-sources wait for this long. */
  trustedSourceTtlMs: number;
  /** Most (user, source) and source records kept; the least recently used go first. */
  maxTrackedSources: number;
}

/** First wait of the per-user scope: short, since it also falls on the real user at a new lane. */
const USER_LOCK_BASE_MS = 1_000;
/** Sources remembered per user as trusted (lanes where they signed in). */
const MAX_TRUSTED_PER_USER = 8;
/** The one per-user record every id not in the config shares, so unknown ids cannot grow memory. */
const UNKNOWN_USER = '\u0000unknown';

interface Run {
  /** Failures so far, counting attempts whose hash check is still running. */
  failures: number;
  lastFailureAt: number;
}

export type PinReservation =
  | { ok: true; ticket: PinTicket }
  | { ok: false; code: 'too_many_attempts'; retryAfterMs: number };

/** One reserved attempt: settle it once with the hash check's outcome. */
export interface PinTicket {
  settle(success: boolean): void;
}

export interface PinThrottleEvents {
  /** A scope started refusing: a source guessing one user's PIN, spraying users, or a user under attack. */
  locked: [{ scope: 'user_source' | 'source' | 'user'; user: string; source: string; failures: number }];
}

/**
 * The one throttle every PIN check goes through (sign-in, sale override approval, return approval:
 * AuthService.checkPin is the only caller of the hash check). `reserve` runs synchronously before
 * the asynchronous scrypt and counts the attempt as a failure at once, so N parallel guesses count
 * N and only the free ones reach the hash; a success refunds its reservation.
 *
 * Three scopes, each a run of failures with a doubling wait once past its free count:
 * - (user, source): the strict one; a source guessing one user's PIN waits up to `lockMaxMs`.
 * - source: all users from one source (one PIN tried on every id).
 * - user: all sources; sources where that user signed in recently are exempt, and the wait is
 *   capped at `userLockMaxMs`, so an attacker on another lane cannot lock the real user out for long.
 * Memory is bounded: per-user records exist only for configured ids (+1 shared by unknown ids),
 * and (user, source) and source records are capped at `maxTrackedSources` (least recently used out).
 */
export class PinThrottle extends EventEmitter<PinThrottleEvents> {
  readonly #options: PinThrottleOptions;
  readonly #clock: () => number;
  readonly #isKnownUser: (id: string) => boolean;
  readonly #pairs = new Map<string, Run>();
  readonly #sources = new Map<string, Run>();
  readonly #users = new Map<string, Run>();
  readonly #trusted = new Map<string, Map<string, number>>();

  constructor(
    options: PinThrottleOptions,
    deps: { isKnownUser: (id: string) => boolean; clock?: () => number },
  ) {
    super();
    this.#options = options;
    this.#isKnownUser = deps.isKnownUser;
    this.#clock = deps.clock ?? Date.now;
  }

  /**
   * Reserves one PIN check for `user` from `source`, or says how long to wait. Synchronous on
   * purpose: the count is taken before any await, so parallel attempts cannot overwrite each other.
   */
  reserve(user: string, source: string): PinReservation {
    const o = this.#options;
    const now = this.#clock();
    const userKey = this.#isKnownUser(user) ? user : UNKNOWN_USER;
    const pairKey = `${user}\u0000${source}`;
    const pair = this.#current(this.#pairs, pairKey, now);
    const from = this.#current(this.#sources, source, now);
    const all = this.#current(this.#users, userKey, now);
    const trusted = this.#isTrusted(userKey, source, now);
    const wait = Math.max(
      waitOf(pair, now, o.perUserSourceFree, o.lockBaseMs, o.lockMaxMs),
      waitOf(from, now, o.perSourceFree, o.lockBaseMs, o.lockMaxMs),
      trusted ? 0 : waitOf(all, now, o.perUserFree, USER_LOCK_BASE_MS, o.userLockMaxMs),
    );
    if (wait > 0) return { ok: false, code: 'too_many_attempts', retryAfterMs: wait };

    const runs = {
      pair: this.#count(this.#pairs, pairKey, pair, now, true),
      from: this.#count(this.#sources, source, from, now, true),
      all: this.#count(this.#users, userKey, all, now, false),
    };
    if (runs.pair.failures === o.perUserSourceFree)
      this.emit('locked', { scope: 'user_source', user, source, failures: runs.pair.failures });
    if (runs.from.failures === o.perSourceFree)
      this.emit('locked', { scope: 'source', user, source, failures: runs.from.failures });
    if (runs.all.failures === o.perUserFree)
      this.emit('locked', { scope: 'user', user, source, failures: runs.all.failures });

    let settled = false;
    return {
      ok: true,
      ticket: {
        settle: (success: boolean) => {
          if (settled) return;
          settled = true;
          if (!success) return; // counted already, at reservation
          this.#pairs.delete(pairKey);
          refund(runs.from);
          refund(runs.all);
          this.#trust(userKey, source, this.#clock());
        },
      },
    };
  }

  /** Forgets every failure of `user` (a manager clearing a lockout); true if there was any. */
  clear(user: string): boolean {
    let found = this.#users.delete(this.#isKnownUser(user) ? user : UNKNOWN_USER);
    const prefix = `${user}\u0000`;
    for (const key of [...this.#pairs.keys()]) {
      if (key.startsWith(prefix)) found = this.#pairs.delete(key) || found;
    }
    return found;
  }

  /** How many records the throttle holds (bounded; see the class comment). */
  get size(): { pairs: number; sources: number; users: number; trusted: number } {
    let trusted = 0;
    for (const m of this.#trusted.values()) trusted += m.size;
    return { pairs: this.#pairs.size, sources: this.#sources.size, users: this.#users.size, trusted };
  }

  /** The run under `key` unless it is forgotten (quiet for `memoryMs`). */
  #current(map: Map<string, Run>, key: string, now: number): Run | undefined {
    const run = map.get(key);
    if (run && now - run.lastFailureAt >= this.#options.memoryMs) {
      map.delete(key);
      return undefined;
    }
    return run;
  }

  /** Adds one failure to a run, (re)inserting it as most recently used; evicts the oldest past the cap. */
  #count(map: Map<string, Run>, key: string, run: Run | undefined, now: number, capped: boolean): Run {
    const next = run ?? { failures: 0, lastFailureAt: now };
    next.failures++;
    next.lastFailureAt = now;
    map.delete(key);
    map.set(key, next);
    if (capped) {
      while (map.size > this.#options.maxTrackedSources) {
        const oldest = map.keys().next().value as string;
        map.delete(oldest);
      }
    }
    return next;
  }

  #isTrusted(userKey: string, source: string, now: number): boolean {
    const until = this.#trusted.get(userKey)?.get(source);
    return until !== undefined && until > now;
  }

  #trust(userKey: string, source: string, now: number): void {
    if (userKey === UNKNOWN_USER) return;
    const sources = this.#trusted.get(userKey) ?? new Map<string, number>();
    sources.delete(source);
    sources.set(source, now + this.#options.trustedSourceTtlMs);
    while (sources.size > MAX_TRUSTED_PER_USER) sources.delete(sources.keys().next().value as string);
    this.#trusted.set(userKey, sources);
  }
}

/** How long a run makes the next attempt wait: 0 while under `free`, then base · 2^(over), capped. */
function waitOf(run: Run | undefined, now: number, free: number, baseMs: number, maxMs: number): number {
  if (!run || run.failures < free) return 0;
  const over = run.failures - free;
  const wait = Math.min(maxMs, baseMs * 2 ** Math.min(over, 30));
  return Math.max(0, run.lastFailureAt + wait - now);
}

/** A success gives back the failure its reservation counted (never below zero). */
function refund(run: Run): void {
  run.failures = Math.max(0, run.failures - 1);
}
