import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import { verifyPin } from './pin-hash.js';
import { PinThrottle } from './pin-throttle.js';
import type { Principal, Role } from './roles.js';

interface Session {
  role: Role;
  name: string;
  expiresAt: number;
}

export type PinRefusal = { ok: false; code: 'bad_credentials' | 'too_many_attempts'; retryAfterMs?: number };

export type SignInResult =
  | { ok: true; token: string; role: Role; name: string; expiresAt: string }
  | PinRefusal;

export type PinCheckResult = { ok: true; user: { id: string; role: Role } } | PinRefusal;

/** Why a request's credentials were not accepted (401, never a silent fall back to anonymous). */
export type AuthFailure = { code: 'bad_token' | 'session_expired'; message: string };

/** A hash that never matches, so unknown users cost the same scrypt time as known ones. */
const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/** Open sessions kept at most (oldest dropped first): sessions come only from right PINs. */
const MAX_SESSIONS = 1_000;

/**
 * Bearer tokens and PIN sessions. Static API tokens come from config as SHA-256 hashes; PIN sign-in
 * checks the scrypt hash, then issues a random 256-bit session token that expires after
 * `sessionTtlMs`. Every PIN check (sign-in, override and return approvals) is `checkPin`, which goes
 * through the one PinThrottle (docs/security.md): the attempt is counted before the hash runs.
 */
export class AuthService {
  readonly #auth: Config['auth'];
  readonly #clock: () => number;
  readonly #sessions = new Map<string, Session>();
  readonly #tokens: { digest: Buffer; role: Role; name: string }[];
  readonly #verify: (pin: string, hash: string) => Promise<boolean>;
  readonly throttle: PinThrottle;
  #pinChecks = 0;

  constructor(
    auth: Config['auth'],
    deps: { clock?: () => number; verifyPin?: (pin: string, hash: string) => Promise<boolean> } = {},
  ) {
    this.#auth = auth;
    this.#clock = deps.clock ?? Date.now;
    this.#verify = deps.verifyPin ?? verifyPin;
    this.#tokens = auth.tokens.map((t) => ({
      digest: Buffer.from(t.sha256, 'hex'),
      role: t.role,
      name: t.name,
    }));
    const known = new Set(auth.users.map((u) => u.id));
    this.throttle = new PinThrottle(
      {
        perUserSourceFree: auth.maxFailedSignIns,
        lockBaseMs: auth.pinLockBaseMs,
        lockMaxMs: auth.failureWindowMs,
        perSourceFree: auth.maxFailedSignInsPerSource,
        perUserFree: auth.maxFailedSignInsPerUser,
        userLockMaxMs: auth.userLockMaxMs,
        memoryMs: auth.pinFailureMemoryMs,
        trustedSourceTtlMs: auth.trustedSourceTtlMs,
        maxTrackedSources: auth.pinThrottleMaxSources,
      },
      { isKnownUser: (id) => known.has(id), clock: this.#clock },
    );
  }

  /** How many PIN hashes were checked since start (what reached scrypt, past the throttle). */
  get pinChecks(): number {
    return this.#pinChecks;
  }

  /** The caller behind a bearer token (or a WebSocket `token` param); undefined for a bad or expired one. */
  resolve(token: string | undefined): Principal | undefined {
    const outcome = this.authenticate(token);
    return 'principal' in outcome ? outcome.principal : undefined;
  }

  /**
   * The caller behind a token, or why it is refused. No token: the anonymous role (kiosk), if
   * allowed. A token that is not a live session or a configured API token is refused, never
   * treated as anonymous.
   */
  authenticate(token: string | undefined): { principal: Principal | undefined } | { failure: AuthFailure } {
    if (!token)
      return {
        principal: this.#auth.anonymousRole === 'kiosk' ? { role: 'kiosk', via: 'anonymous' } : undefined,
      };
    const session = this.#sessions.get(token);
    if (session) {
      if (session.expiresAt > this.#clock())
        return { principal: { role: session.role, name: session.name, via: 'session' } };
      this.#sessions.delete(token);
      return { failure: { code: 'session_expired', message: 'The session has expired; sign in again' } };
    }
    const digest = createHash('sha256').update(token).digest();
    const match = this.#tokens.find((t) => timingSafeEqual(t.digest, digest));
    return match
      ? { principal: { role: match.role, name: match.name, via: 'token' } }
      : { failure: { code: 'bad_token', message: 'Unknown bearer token; sign in again or check the token' } };
  }

  /**
   * Checks a user's PIN through the throttle. `source` is the caller's address (request-source.ts):
   * the throttle limits guesses per user, per source and per pair. A wrong user and a wrong PIN get
   * the same answer and cost the same scrypt time.
   */
  async checkPin(userId: string, pin: string, source: string): Promise<PinCheckResult> {
    const reservation = this.throttle.reserve(userId, source);
    if (!reservation.ok) return reservation;
    const user = this.#auth.users.find((u) => u.id === userId);
    let good = false;
    try {
      this.#pinChecks++;
      good = await this.#verify(pin, user?.pinHash ?? DUMMY_HASH);
    } finally {
      reservation.ticket.settle(good && user !== undefined);
    }
    if (!user || !good) return { ok: false, code: 'bad_credentials' };
    return { ok: true, user: { id: user.id, role: user.role } };
  }

  /** PIN sign-in: a session token for the user's role (see checkPin for the throttle). */
  async signIn(userId: string, pin: string, source: string): Promise<SignInResult> {
    const checked = await this.checkPin(userId, pin, source);
    if (!checked.ok) return checked;
    const now = this.#clock();
    this.#dropExpired(now);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#auth.sessionTtlMs;
    this.#sessions.set(token, { role: checked.user.role, name: checked.user.id, expiresAt });
    return {
      ok: true,
      token,
      role: checked.user.role,
      name: checked.user.id,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  signOut(token: string): void {
    this.#sessions.delete(token);
  }

  /** Drops expired sessions, then the oldest while over MAX_SESSIONS (Map order is creation order). */
  #dropExpired(now: number): void {
    if (this.#sessions.size < MAX_SESSIONS) return;
    for (const [token, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(token);
    while (this.#sessions.size >= MAX_SESSIONS) {
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
  }
}
