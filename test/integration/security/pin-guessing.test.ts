/**
 * An attacker at a role boundary: a cashier (or anyone on the LAN) guessing the manager's PIN on
 * every path that checks a PIN, over the real HTTP server, with parallel requests and from several
 * source addresses (127.0.0.x: distinct sources to the server).
 */

import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../terminal/config/schema.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { AuthService } from '../../../terminal/http/auth/auth-service.js';
import { hashPin } from '../../../terminal/http/auth/pin-hash.js';
import { returnsRoutes } from '../../../terminal/http/routes/returns.js';
import { salesRoutes } from '../../../terminal/http/routes/sales.js';
import { createHttpServer } from '../../../terminal/http/server.js';
import { WsHub } from '../../../terminal/http/ws-hub.js';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import { KioskReports } from '../../../terminal/lanes/kiosk-reports.js';
import { silentLogger } from '../../../terminal/logger.js';
import { QueryLog } from '../../../terminal/verify/query-log.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, NOT_COVERED, openTerminal } from '../checkout/checkout-fixture.js';
import { type Answer, call } from './http-client.js';

const PIN = { cashier: '1234', manager: '9876' };

describe('PIN guessing on every PIN path', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let terminal: ReturnType<typeof openTerminal>;
  let app: FastifyInstance;
  let auth: AuthService;
  let url: string;
  const cashierToken = randomBytes(32).toString('base64url');
  let now = Date.now();

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-pin-');
    terminal = openTerminal({ dir: tmp.dir });
    const cheap = { N: 1024, r: 8, p: 1 };
    const config = configSchema.parse({
      http: { host: '127.0.0.1', port: 0, limits: { signInPerMinute: 100_000 } },
      auth: {
        // The defaults, except waits short enough to watch a lock end within a test.
        pinLockBaseMs: 1_000,
        userLockMaxMs: 2_000,
        users: [
          { id: 'c1', role: 'cashier', pinHash: await hashPin(PIN.cashier, cheap) },
          { id: 'm1', role: 'manager', pinHash: await hashPin(PIN.manager, cheap) },
        ],
        tokens: [
          { name: 'lane', role: 'cashier', sha256: createHash('sha256').update(cashierToken).digest('hex') },
        ],
      },
    });
    // The throttle's clock is the test's: waits end when the test says, however loaded the machine.
    auth = new AuthService(config.auth, { clock: () => now });
    app = await createHttpServer({
      config,
      logger: silentLogger(),
      verifier: terminal.verifier,
      reports: new KioskReports({
        queryLog: new QueryLog(terminal.db),
        alerts: undefined,
        storeId: 'store-a',
      }),
      health: new HealthModel(),
      auth,
      hub: new WsHub(),
      demoSamples: [],
      plugins: [
        salesRoutes({ checkout: terminal.checkout, sales: new SaleBatcher(terminal.checkout) }),
        returnsRoutes({ returns: terminal.returns }),
      ],
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    terminal?.close();
    tmp?.cleanup();
  });

  let serial = 100;
  /** The three ways a PIN reaches the hash, each as "try this manager PIN from this address". */
  const paths: Record<string, (pin: string, from: string) => Promise<Answer>> = {
    'sign-in': (pin, from) => call(url, 'POST', '/api/v1/auth/sign-in', { body: { user: 'm1', pin }, from }),
    'sale override approval': (pin, from) =>
      call(url, 'POST', '/api/v1/sales', {
        bearer: cashierToken,
        from,
        body: {
          lines: [
            {
              // Not covered by the registry: unverifiable, sellable only with a manager's override.
              data: code(serial++, NOT_COVERED),
              override: { reason: 'registry does not cover it', approval: { user: 'm1', pin } },
            },
          ],
        },
      }),
    'return approval': (pin, from) =>
      call(url, 'POST', '/api/v1/returns', {
        bearer: cashierToken,
        from,
        body: { lines: [{ data: code(serial++) }], approval: { user: 'm1', pin } },
      }),
  };
  /** The PIN was accepted: the request went past the approval (whatever the sale or return did next). */
  const accepted = (a: Answer) => a.status !== 401 && a.status !== 403 && a.status !== 429;
  const throttled = (a: Answer) => a.status === 429 && a.body.error.code === 'too_many_attempts';

  let host = 10;
  for (const [name, attempt] of Object.entries(paths)) {
    it(`${name}: 50 parallel wrong PINs reach the hash 5 times; the right PIN waits a bounded time there and works at once elsewhere`, async () => {
      auth.throttle.clear('m1');
      const attacker = `127.0.0.${host++}`;
      const elsewhere = `127.0.0.${host++}`;
      const before = auth.pinChecks;
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => attempt(String(1000 + i), attacker)),
      );
      // Counted before the hash: of 50 guesses in flight together, only the free 5 were checked.
      expect(auth.pinChecks - before).toBe(5);
      expect(answers.filter(throttled)).toHaveLength(45);
      expect(answers.filter((a) => a.status === 401 || a.status === 403)).toHaveLength(5);
      const wait = answers.find(throttled)!;
      expect(Number(wait.headers['retry-after'])).toBeGreaterThanOrEqual(1);

      // The right PIN from the guessing source is refused too (for now) without reaching the hash.
      const locked = await attempt(PIN.manager, attacker);
      expect(throttled(locked)).toBe(true);
      expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(1);
      expect(auth.pinChecks - before).toBe(5);
      // The real manager at another lane is not affected.
      expect(accepted(await attempt(PIN.manager, elsewhere))).toBe(true);
      // And at the guessing source the lock ends: first wait pinLockBaseMs (1 s here, 30 s by default).
      now += 999;
      expect(throttled(await attempt(PIN.manager, attacker))).toBe(true);
      now += 1;
      expect(accepted(await attempt(PIN.manager, attacker))).toBe(true);
    });
  }

  it('wrong user ids get the same answer as a wrong PIN; one source spraying ids is stopped after 20', async () => {
    const from = `127.0.0.${host++}`;
    const before = auth.pinChecks;
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(url, 'POST', '/api/v1/auth/sign-in', { body: { user: `ghost${i}`, pin: '0000' }, from }),
      ),
    );
    const wrong = answers.filter((a) => a.status === 401 && a.body.error.code === 'bad_credentials');
    expect(wrong).toHaveLength(20); // maxFailedSignInsPerSource
    expect(answers.filter(throttled)).toHaveLength(10);
    expect(auth.pinChecks - before).toBe(20);
    // That source now waits for every user, even with a right PIN.
    expect(throttled(await paths['sign-in']!(PIN.manager, from))).toBe(true);
  });

  it('guesses spread over many sources cannot lock the cashier out: their own lane is exempt, a new lane waits at most userLockMaxMs', async () => {
    const lane = `127.0.0.${host++}`;
    const signIn = (pin: string, from: string) =>
      call(url, 'POST', '/api/v1/auth/sign-in', { body: { user: 'c1', pin }, from });
    expect((await signIn(PIN.cashier, lane)).status).toBe(200);
    // 25 sources, one wrong PIN each: under every per-source limit; the per-user one (20) counts
    // them all, so past 20 even the attackers' fresh sources wait.
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await signIn('0000', `127.0.1.${i + 1}`)).status);
    expect(statuses).toEqual([...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
    expect((await signIn(PIN.cashier, lane)).status).toBe(200);
    const newLane = `127.0.0.${host++}`;
    const first = await signIn(PIN.cashier, newLane);
    expect(throttled(first)).toBe(true);
    expect(Number(first.headers['retry-after'])).toBeLessThanOrEqual(2);
    now += Number(first.headers['retry-after']) * 1000;
    expect((await signIn(PIN.cashier, newLane)).status).toBe(200);
  });

  it('a manager can clear a lockout', async () => {
    const from = `127.0.0.${host++}`;
    for (let i = 0; i < 5; i++) await paths['sign-in']!('1111', from);
    expect(throttled(await paths['sign-in']!(PIN.manager, from))).toBe(true);
    const manager = (await paths['sign-in']!(PIN.manager, `127.0.0.${host++}`)).body.data.token as string;
    const cashier = await call(url, 'POST', '/api/v1/auth/unlock', {
      bearer: cashierToken,
      body: { user: 'm1' },
    });
    expect(cashier.status).toBe(403);
    const cleared = await call(url, 'POST', '/api/v1/auth/unlock', { bearer: manager, body: { user: 'm1' } });
    expect(cleared.body).toEqual({ status: 'ok', data: { user: 'm1', cleared: true } });
    expect((await paths['sign-in']!(PIN.manager, from)).status).toBe(200);
  });
});
