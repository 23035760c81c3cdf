import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, ApiOk, VerifyResult } from '../../../terminal/http/wire-types.js';
import { SAMPLE } from '../../integration/kiosk/fixtures.js';
import { createTestTerminal, type TestTerminal } from '../../integration/kiosk/harness.js';

describe('POST /api/v1/verify', () => {
  let t: TestTerminal;
  beforeAll(async () => {
    t = await createTestTerminal();
  });
  afterAll(async () => t.close());

  const verify = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/v1/verify', payload: payload as object });

  it.each([
    ['genuine', SAMPLE.genuine, 'active'],
    ['already_sold', SAMPLE.soldUpstream, 'sold_upstream'],
    ['already_sold', SAMPLE.soldHere, 'written_off_here'],
    ['recalled', SAMPLE.recalled, 'batch_recalled'],
    ['stolen', SAMPLE.stolen, 'status_stolen'],
    ['expired', SAMPLE.expired, 'past_expiry'],
    ['unknown', SAMPLE.unknown, 'not_in_registry'],
    ['unverifiable', SAMPLE.uncovered, 'product_not_covered'],
    ['unverifiable', SAMPLE.gtinOnly, 'no_serial'],
    ['malformed', SAMPLE.malformed, 'unrecognised'],
  ])('%s for %s (%s)', async (verdict, data, reason) => {
    const res = await verify({ data });
    expect(res.statusCode).toBe(200);
    const body = res.json<ApiOk<VerifyResult>>();
    expect(body.status).toBe('ok');
    expect(body.data).toMatchObject({ verdict, reason });
    expect(body.data.history.checksHere).toBeGreaterThanOrEqual(0);
    expect(body.data.checkId).toBeGreaterThan(0);
  });

  it('answers with code, product, unit, batch and history; history grows per check', async () => {
    const first = (await verify({ data: SAMPLE.genuine })).json<ApiOk<VerifyResult>>().data;
    const second = (await verify({ data: SAMPLE.genuine })).json<ApiOk<VerifyResult>>().data;
    expect(second.code).toMatchObject({ kind: 'cn20', key: SAMPLE.genuine });
    expect(second.product?.names['zh-CN']).toBe('金龙鱼花生油 5升');
    expect(second.unit?.status).toBe('active');
    expect(second.batch).toMatchObject({ number: 'B1', expiryDate: '2099-01-09' });
    expect(second.history.checksHere).toBe(first.history.checksHere + 1);
    expect(second.history.lastCheckedAt).toBe(first.checkedAt);
    expect(second.history.upstreamChecks).toBe(3);
    expect(second.sold).toBeUndefined();
  });

  it('already_sold carries where and when', async () => {
    const data = (await verify({ data: SAMPLE.soldUpstream })).json<ApiOk<VerifyResult>>().data;
    expect(data.sold).toEqual({ where: 'upstream', storeId: 'S-0042', at: '2026-11-01T09:30:00.000Z' });
  });

  it('a GS1 element string with GS and an AIM prefix is read (unknown GTIN → unverifiable)', async () => {
    const data = (await verify({ data: ']d2010950600013435221ABC\u001d10LOT' })).json<ApiOk<VerifyResult>>()
      .data;
    expect(data.code).toMatchObject({ kind: 'gs1', serial: 'ABC', batch: 'LOT' });
    expect(data.verdict).toBe('unverifiable');
  });

  const bad: [string, () => Promise<{ statusCode: number; json: <T>() => T }>, number, string][] = [
    [
      'empty body with JSON type',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/verify',
          headers: { 'content-type': 'application/json' },
          payload: '',
        }),
      400,
      'empty_body',
    ],
    ['no body at all', () => t.app.inject({ method: 'POST', url: '/api/v1/verify' }), 400, 'empty_body'],
    ['1 MB body', () => verify({ data: 'x'.repeat(1_048_576) }), 413, 'body_too_large'],
    [
      'binary garbage as JSON',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/verify',
          headers: { 'content-type': 'application/json' },
          payload: Buffer.from([0xff, 0xfe, 0x00, 0x1d, 0x80, 0x7b]),
        }),
      400,
      'bad_json',
    ],
    [
      'binary garbage as octet-stream',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/verify',
          headers: { 'content-type': 'application/octet-stream' },
          payload: Buffer.from([1, 2, 3, 255]),
        }),
      415,
      'unsupported_media_type',
    ],
    [
      'truncated JSON',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/verify',
          headers: { 'content-type': 'application/json' },
          payload: '{"data": "123',
        }),
      400,
      'bad_json',
    ],
    ['data is a number', () => verify({ data: 6901234 }), 400, 'bad_request'],
    ['data missing', () => verify({ code: SAMPLE.genuine }), 400, 'bad_request'],
    ['an array', () => verify([SAMPLE.genuine]), 400, 'bad_request'],
    ['data too long', () => verify({ data: '1'.repeat(5000) }), 400, 'bad_request'],
  ];
  it.each(bad)('%s → %i %s', async (_name, send, status, code) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = res.json<ApiError>();
    expect(body).toMatchObject({ status: 'error', error: { code } });
    expect(body.error.message.length).toBeGreaterThan(5);
  });

  it('names the bad field and what was expected', async () => {
    const body = (await verify({ data: 6901234 })).json<ApiError>();
    expect(body.error.message).toMatch(/data: .*expected string/);
  });

  it('binary garbage inside a string is a malformed verdict, not a fault', async () => {
    const res = await verify({ data: '\u0000\u00ff\u001b[2J' });
    expect(res.statusCode).toBe(200);
    expect(res.json<ApiOk<VerifyResult>>().data.verdict).toBe('malformed');
  });

  it('unknown API routes are JSON 404s', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json<ApiError>().error.code).toBe('not_found');
  });
});
