import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../terminal/config/schema.js';
import { AuthService } from '../../../terminal/http/auth/auth-service.js';
import { PinThrottle, type PinThrottleOptions } from '../../../terminal/http/auth/pin-throttle.js';
import { normalizeSource } from '../../../terminal/http/auth/request-source.js';

const OPTIONS: PinThrottleOptions = {
  perUserSourceFree: 5,
  lockBaseMs: 30_000,
  lockMaxMs: 15 * 60_000,
  perSourceFree: 20,
  perUserFree: 20,
  userLockMaxMs: 30_000,
  memoryMs: 24 * 3_600_000,
  trustedSourceTtlMs: 12 * 3_600_000,
  maxTrackedSources: 10_000,
};

function rig(options: Partial<PinThrottleOptions> = {}) {
  let now = 1_000_000;
  const throttle = new PinThrottle(
    { ...OPTIONS, ...options },
    { isKnownUser: (id) => id === 'boss' || id === 'c1', clock: () => now },
  );
  /** One attempt settled at once: 'ok', 'wrong', or the refusal's wait. */
  const attempt = (user: string, source: string, right = false): 'ok' | 'wrong' | number => {
    const r = throttle.reserve(user, source);
    if (!r.ok) return r.retryAfterMs;
    r.ticket.settle(right);
    return right ? 'ok' : 'wrong';
  };
  return {
    throttle,
    attempt,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('PinThrottle', () => {
  it('counts a reservation before the hash runs: 50 parallel guesses, only the free 5 get through', () => {
    const { throttle } = rig();
    const reservations = Array.from({ length: 50 }, () => throttle.reserve('boss', '10.0.0.7'));
    const granted = reservations.filter((r) => r.ok);
    expect(granted).toHaveLength(5);
    for (const r of granted) if (r.ok) r.ticket.settle(false);
    const refused = reservations.filter((r) => !r.ok);
    expect(refused.every((r) => !r.ok && r.retryAfterMs > 0 && r.retryAfterMs <= 30_000)).toBe(true);
  });

  it('doubles the wait per further failure up to the cap, and the right PIN waits too', () => {
    const { attempt, advance } = rig();
    for (let i = 0; i < 5; i++) expect(attempt('boss', 'A')).toBe('wrong');
    expect(attempt('boss', 'A', true)).toBe(30_000);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = attempt('boss', 'A');
      expect(typeof wait).toBe('number');
      waits.push(wait as number);
      advance(wait as number);
      expect(attempt('boss', 'A')).toBe('wrong');
    }
    expect(waits).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    // Hammering while locked does not extend the lock: refused attempts are not counted.
    for (let i = 0; i < 100; i++) attempt('boss', 'A');
    advance(900_000);
    expect(attempt('boss', 'A', true)).toBe('ok');
    // A success clears that source's run for that user.
    expect(attempt('boss', 'A')).toBe('wrong');
  });

  it("another source's failures do not stop the real user elsewhere", () => {
    const { attempt } = rig();
    for (let i = 0; i < 5; i++) attempt('boss', 'attacker');
    expect(typeof attempt('boss', 'attacker', true)).toBe('number');
    expect(attempt('boss', 'office', true)).toBe('ok');
  });

  it('a distributed attack slows the user by at most userLockMaxMs at a new source, never at a trusted one', () => {
    const { attempt, advance } = rig();
    expect(attempt('c1', 'lane-3', true)).toBe('ok'); // the cashier's own lane, trusted from now on
    for (let i = 0; i < 20; i++) expect(attempt('c1', `10.9.0.${i}`)).toBe('wrong');
    // 20 failures over all sources: a source without a recent success for c1 waits (1 s, doubling).
    const wait = attempt('c1', 'lane-7', true);
    expect(wait).toBe(1_000);
    expect(attempt('c1', 'lane-3', true)).toBe('ok');
    // The wait is capped: after many more failures a new lane waits at most 30 s.
    for (let i = 0; i < 40; i++) {
      const w = attempt('c1', `10.8.0.${i}`);
      if (typeof w === 'number') advance(w);
    }
    const capped = attempt('c1', 'lane-9', true);
    expect(capped).toBeLessThanOrEqual(30_000);
    advance(capped as number);
    expect(attempt('c1', 'lane-9', true)).toBe('ok');
  });

  it('limits one source spraying one PIN over many user ids', () => {
    const { attempt } = rig();
    for (let i = 0; i < 20; i++) expect(attempt(`user${i}`, 'S')).toBe('wrong');
    expect(attempt('boss', 'S', true)).toBe(30_000);
    expect(attempt('boss', 'T', true)).toBe('ok');
  });

  it('forgets a run after the memory period; a manager can clear a lockout', () => {
    const { throttle, attempt, advance } = rig();
    for (let i = 0; i < 5; i++) attempt('boss', 'A');
    expect(typeof attempt('boss', 'A')).toBe('number');
    expect(throttle.clear('boss')).toBe(true);
    expect(attempt('boss', 'A', true)).toBe('ok');
    for (let i = 0; i < 5; i++) attempt('c1', 'B');
    advance(24 * 3_600_000);
    expect(attempt('c1', 'B')).toBe('wrong');
  });

  it('keeps memory bounded under 100,000 distinct user ids and sources', () => {
    const { throttle, attempt } = rig({ maxTrackedSources: 1_000 });
    for (let i = 0; i < 100_000; i++) attempt(`nobody-${i}`, `s${i}`);
    for (let i = 0; i < 100_000; i++) attempt(`nobody-${i}`, 'one-source');
    const size = throttle.size;
    expect(size.pairs).toBeLessThanOrEqual(1_000);
    expect(size.sources).toBeLessThanOrEqual(1_000);
    // Unknown ids share one per-user record: they cannot grow it, nor reset a real user's.
    expect(size.users).toBe(1);
    expect(size.trusted).toBe(0);
  });
});

describe('AuthService PIN checks', () => {
  it('only reserved attempts reach the hash; a failed hash check still counts', async () => {
    const config = configSchema.parse({
      auth: {
        users: [
          { id: 'boss', role: 'manager', pinHash: `scrypt$1024$8$1$${'A'.repeat(24)}$${'B'.repeat(44)}` },
        ],
      },
    });
    let hashes = 0;
    const auth = new AuthService(config.auth, {
      verifyPin: async (pin) => {
        hashes++;
        await new Promise((resolve) => setImmediate(resolve));
        return pin === '2468';
      },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => auth.checkPin('boss', String(1000 + i), '10.1.1.1')),
    );
    expect(hashes).toBe(5);
    expect(auth.pinChecks).toBe(5);
    expect(results.filter((r) => !r.ok && r.code === 'bad_credentials')).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.code === 'too_many_attempts')).toHaveLength(45);
    expect(await auth.checkPin('boss', '2468', '10.1.1.1')).toMatchObject({
      ok: false,
      code: 'too_many_attempts',
    });
    expect(await auth.checkPin('boss', '2468', '10.1.1.2')).toMatchObject({ ok: true, user: { id: 'boss' } });
  });

  it('tells a bad token from an expired session; no token is anonymous', async () => {
    let now = 1_000;
    const config = configSchema.parse({
      auth: {
        sessionTtlMs: 60_000,
        users: [
          { id: 'c1', role: 'cashier', pinHash: `scrypt$1024$8$1$${'A'.repeat(24)}$${'B'.repeat(44)}` },
        ],
      },
    });
    const auth = new AuthService(config.auth, { clock: () => now, verifyPin: async () => true });
    expect(auth.authenticate(undefined)).toEqual({ principal: { role: 'kiosk', via: 'anonymous' } });
    expect(auth.authenticate('nope')).toMatchObject({ failure: { code: 'bad_token' } });
    expect(auth.resolve('nope')).toBeUndefined();
    const session = await auth.signIn('c1', '1234', '10.0.0.1');
    if (!session.ok) throw new Error('sign-in failed');
    expect(auth.authenticate(session.token)).toEqual({
      principal: { role: 'cashier', name: 'c1', via: 'session' },
    });
    now += 60_000;
    expect(auth.authenticate(session.token)).toMatchObject({ failure: { code: 'session_expired' } });
    // Once reported, an expired session is gone: the same token is now simply unknown.
    expect(auth.authenticate(session.token)).toMatchObject({ failure: { code: 'bad_token' } });
  });
});

describe('request sources', () => {
  it('maps IPv4-mapped addresses to IPv4 and IPv6 addresses to their /64', () => {
    expect(normalizeSource('::ffff:10.0.0.5')).toBe('10.0.0.5');
    expect(normalizeSource('10.0.0.5')).toBe('10.0.0.5');
    expect(normalizeSource('::1')).toBe('::1');
    expect(normalizeSource('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(normalizeSource('2001:db8:1:2:ffff:eeee:dddd:cccc')).toBe('2001:db8:1:2::/64');
    expect(normalizeSource('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(normalizeSource(undefined)).toBe('unknown');
  });
});
