import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import { verifyPin } from './pin-hash.js';
import type { Principal, Role } from './roles.js';

interface Session {
  role: Role;
  name: string;
  expiresAt: number;
}

export type SignInResult =
  | { ok: true; token: string; role: Role; name: string; expiresAt: string }
  | { ok: false; code: 'bad_credentials' | 'too_many_attempts'; retryAfterMs?: number };

/** A hash that never matches, so unknown users cost the same scrypt time as known ones. */
const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/**
 * Bearer tokens and PIN sessions. Static API tokens come from config as SHA-256 hashes; PIN sign-in
 * checks the scrypt hash, then issues a random 256-bit session token that expires after
 * `sessionTtlMs`. Failed sign-ins are counted per user id: after `maxFailedSignIns` in
 * `failureWindowMs` the user is refused until the window passes (the route is also IP rate-limited).
 */
export class AuthService {
  readonly #auth: Config['auth'];
  readonly #clock: () => number;
  readonly #sessions = new Map<string, Session>();
  readonly #failures = new Map<string, number[]>();
  readonly #tokens: { digest: Buffer; role: Role; name: string }[];

  constructor(auth: Config['auth'], deps: { clock?: () => number } = {}) {
    this.#auth = auth;
    this.#clock = deps.clock ?? Date.now;
    this.#tokens = auth.tokens.map((t) => ({
      digest: Buffer.from(t.sha256, 'hex'),
      role: t.role,
      name: t.name,
    }));
  }

  /** The caller behind an `Authorization: Bearer …` value (or a WebSocket `token` param). */
  resolve(token: string | undefined): Principal | undefined {
    if (!token) return this.#auth.anonymousRole === 'kiosk' ? { role: 'kiosk', via: 'anonymous' } : undefined;
    const session = this.#sessions.get(token);
    if (session) {
      if (session.expiresAt > this.#clock())
        return { role: session.role, name: session.name, via: 'session' };
      this.#sessions.delete(token);
      return undefined;
    }
    const digest = createHash('sha256').update(token).digest();
    const match = this.#tokens.find((t) => timingSafeEqual(t.digest, digest));
    return match ? { role: match.role, name: match.name, via: 'token' } : undefined;
  }

  async signIn(userId: string, pin: string): Promise<SignInResult> {
    const now = this.#clock();
    const recent = (this.#failures.get(userId) ?? []).filter((t) => now - t < this.#auth.failureWindowMs);
    if (recent.length >= this.#auth.maxFailedSignIns) {
      return {
        ok: false,
        code: 'too_many_attempts',
        retryAfterMs: recent[0]! + this.#auth.failureWindowMs - now,
      };
    }
    const user = this.#auth.users.find((u) => u.id === userId);
    const good = await verifyPin(pin, user?.pinHash ?? DUMMY_HASH);
    if (!user || !good) {
      this.#failures.set(userId, [...recent, now]);
      return { ok: false, code: 'bad_credentials' };
    }
    this.#failures.delete(userId);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#auth.sessionTtlMs;
    this.#sessions.set(token, { role: user.role, name: user.id, expiresAt });
    return { ok: true, token, role: user.role, name: user.id, expiresAt: new Date(expiresAt).toISOString() };
  }

  signOut(token: string): void {
    this.#sessions.delete(token);
  }
}
