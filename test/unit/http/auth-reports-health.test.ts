import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPin, verifyPin } from '../../../terminal/http/auth/pin-hash.js';
import { requireRole } from '../../../terminal/http/auth/require-role.js';
import type {
  ApiError,
  ApiOk,
  ReportResult,
  SignInResponse,
  VerifyResult,
} from '../../../terminal/http/wire-types.js';
import { SAMPLE } from '../../integration/kiosk/fixtures.js';
import { createTestTerminal, type TestTerminal } from '../../integration/kiosk/harness.js';

const POS_TOKEN = 'pos-token-0123456789abcdef';
const KIOSK_TOKEN = 'kiosk-token-0123456789abcdef';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('auth, reports and health', () => {
  let t: TestTerminal;
  beforeAll(async () => {
    // Cheap scrypt parameters keep the test fast; the format and check are the same.
    const cashierPin = await hashPin('1234', { N: 1024 });
    const managerPin = await hashPin('987654', { N: 1024 });
    t = await createTestTerminal({
      config: {
        auth: {
          maxFailedSignIns: 3,
          users: [
            { id: 'c1', role: 'cashier', pinHash: cashierPin },
            { id: 'boss', role: 'manager', pinHash: managerPin },
          ],
          tokens: [
            { name: 'pos', role: 'cashier', sha256: sha(POS_TOKEN) },
            { name: 'kiosk2', role: 'kiosk', sha256: sha(KIOSK_TOKEN) },
          ],
        },
      },
      // A stand-in for the checkout's routes: a write that needs the cashier role.
      plugins: [
        (app) => {
          app.post('/api/v1/test-write', { preHandler: requireRole('cashier') }, async () => ({
            status: 'ok',
            data: {},
          }));
        },
      ],
    });
    t.health.report('printer:p1', {
      level: 'fail',
      code: 'printer.paper_out',
      reason: 'Paper out',
      details: { paper: 'out' },
    });
  });
  afterAll(async () => t.close());

  it('pin hashes verify and reject', async () => {
    const h = await hashPin('2468', { N: 1024 });
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPin('2468', h)).toBe(true);
    expect(await verifyPin('2469', h)).toBe(false);
    expect(await verifyPin('2468', 'plain')).toBe(false);
  });

  it('kiosk callers (anonymous or kiosk token) cannot reach cashier routes', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/test-write' })).statusCode).toBe(403);
    const withKiosk = await t.app.inject({
      method: 'POST',
      url: '/api/v1/test-write',
      headers: { authorization: `Bearer ${KIOSK_TOKEN}` },
    });
    expect(withKiosk.statusCode).toBe(403);
    expect(withKiosk.json<ApiError>().error.code).toBe('forbidden');
    const bogus = await t.app.inject({
      method: 'POST',
      url: '/api/v1/test-write',
      headers: { authorization: 'Bearer nope' },
    });
    expect(bogus.statusCode).toBe(401);
    const pos = await t.app.inject({
      method: 'POST',
      url: '/api/v1/test-write',
      headers: { authorization: `Bearer ${POS_TOKEN}` },
    });
    expect(pos.statusCode).toBe(200);
  });

  it('PIN sign-in issues a session token with the user role; wrong PINs are throttled per user', async () => {
    const good = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { user: 'boss', pin: '987654' },
    });
    expect(good.statusCode).toBe(200);
    const session = good.json<ApiOk<SignInResponse>>().data;
    expect(session.role).toBe('manager');
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(me.json<ApiOk<{ role: string }>>().data.role).toBe('manager');

    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { user: 'c1', pin: '0000' },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429]);
    // Even the right PIN is refused while throttled.
    const locked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { user: 'c1', pin: '1234' },
    });
    expect(locked.json<ApiError>().error.code).toBe('too_many_attempts');

    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      headers: { authorization: `Bearer ${session.token}` },
    });
    const after = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(after.statusCode).toBe(401);
  });

  it('reports a suspicious pack once per check, as an alert record with the verdict the terminal gave', async () => {
    const check = (
      await t.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { data: SAMPLE.unknown } })
    ).json<ApiOk<VerifyResult>>().data;
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: { checkId: check.checkId, note: '包装破损' },
    });
    expect(first.statusCode).toBe(201);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: { checkId: check.checkId },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json<ApiOk<ReportResult>>().data).toMatchObject({
      duplicate: true,
      reportId: first.json<ApiOk<ReportResult>>().data.reportId,
    });
    expect(t.alerts.records).toHaveLength(1);
    expect(t.alerts.records[0]).toMatchObject({
      type: 'alert',
      payload: { kind: 'suspicious_report', key: SAMPLE.unknown, verdict: 'unknown', note: '包装破损' },
    });
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: { checkId: 999999 },
    });
    expect(missing.json<ApiError>().error.code).toBe('unknown_check');
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { checkId: 'x' } });
    expect(bad.statusCode).toBe(400);
  });

  it('reports are rate-limited per client (they become upstream records)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        payload: { checkId: 999_000 + i },
        remoteAddress: '10.0.0.9',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 20).every((s) => s === 404)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('health: kiosk sees levels only; a manager sees reasons and since', async () => {
    const anon = (await t.app.inject({ method: 'GET', url: '/api/v1/health' })).json<
      ApiOk<{ level: string; items: object[] }>
    >();
    expect(anon.data.level).toBe('fail');
    expect(anon.data.items).toEqual([{ component: 'printer:p1', level: 'fail' }]);
    const pos = await t.app.inject({
      method: 'GET',
      url: '/api/v1/health',
      headers: { authorization: `Bearer ${POS_TOKEN}` },
    });
    expect(pos.json<ApiOk<{ items: object[] }>>().data.items[0]).toMatchObject({
      code: 'printer.paper_out',
      reason: 'Paper out',
      since: expect.any(String),
    });
  });

  it('anonymousRole none requires a token even for the kiosk', async () => {
    const strict = await createTestTerminal({ config: { auth: { anonymousRole: 'none' } } });
    try {
      const res = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/verify',
        payload: { data: SAMPLE.genuine },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await strict.close();
    }
  });
});
