import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, NOT_COVERED } from './checkout-fixture.js';
import { call, PINS, startCheckoutServer } from './http-fixture.js';

let temp: ReturnType<typeof makeTempDir>;
let server: Awaited<ReturnType<typeof startCheckoutServer>>;
let post: (path: string, body: unknown, bearer?: string) => ReturnType<typeof call>;

beforeAll(async () => {
  temp = makeTempDir();
  server = await startCheckoutServer({ dir: temp.dir });
  post = (path, body, bearer = server.tokens.cashier) => call(server.url, 'POST', path, body, bearer);
});
afterAll(async () => {
  await server.close();
  temp.cleanup();
});

describe('POST /api/v1/sales', () => {
  it('201 with the sale; a retry with the same externalRef returns the same sale and writes nothing', async () => {
    const body = { externalRef: 'pos-100', lines: [{ data: code(100) }, { data: code(101) }] };
    const first = await post('/api/v1/sales', body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'ok',
      data: {
        externalRef: 'pos-100',
        cashier: 'cashier-token',
        replayed: false,
        lines: [{ codeKey: code(100), verdict: 'genuine' }, { codeKey: code(101) }],
      },
    });
    const head = server.t.ledger.headSeq();
    const retry = await post('/api/v1/sales', body);
    expect(retry.status).toBe(201);
    expect(retry.body.data).toEqual({ ...first.body.data, replayed: true });
    expect(server.t.ledger.headSeq()).toBe(head);
    const read = await call(
      server.url,
      'GET',
      `/api/v1/sales/${first.body.data.saleId}`,
      undefined,
      server.tokens.cashier,
    );
    expect(read.body.data.writeOffs).toHaveLength(2);
  });

  it('409 with a reason per refused line, and nothing written off', async () => {
    const res = await post('/api/v1/sales', {
      externalRef: 'pos-101',
      lines: [{ data: code(102) }, { data: code(100) }, { data: code(800000001) }, { data: 'nope' }],
    });
    expect(res.status).toBe(409);
    expect(res.body.status).toBe('error');
    expect(res.body.error).toMatchObject({ code: 'lines_refused' });
    expect(res.body.error.refused.map((r: { line: number; reason: string }) => [r.line, r.reason])).toEqual([
      [1, 'written_off_here'],
      [2, 'status_recalled'],
      [3, 'unrecognised'],
    ]);
    expect(server.t.ledger.writeOffOf(code(102))).toBeUndefined();
    expect(
      await post('/api/v1/sales', { externalRef: 'pos-100', lines: [{ data: code(103) }] }),
    ).toMatchObject({
      status: 409,
      body: { error: { code: 'idempotency_conflict' } },
    });
  });

  it('refuses kiosk tokens, anonymous callers and unknown tokens', async () => {
    const body = { lines: [{ data: code(110) }] };
    expect(await post('/api/v1/sales', body, server.tokens.kiosk)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect((await call(server.url, 'POST', '/api/v1/sales', body)).status).toBe(403);
    expect((await post('/api/v1/sales', body, 'made-up')).status).toBe(401);
    expect(
      (await post('/api/v1/returns', { lines: [{ data: code(110) }] }, server.tokens.kiosk)).status,
    ).toBe(403);
    expect(server.t.ledger.writeOffOf(code(110))).toBeUndefined();
  });

  it('400 naming the bad field', async () => {
    const res = await post('/api/v1/sales', { lines: [{ data: 42 }] });
    expect(res).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringContaining('lines.0.data') } },
    });
    expect((await post('/api/v1/sales', { lines: [] })).status).toBe(400);
  });

  it('sells an unverifiable line only with a manager approval, recording who and why', async () => {
    const line = {
      data: code(120, NOT_COVERED),
      override: { reason: 'not covered yet', approval: { user: 'c1', pin: PINS.cashier } },
    };
    expect(await post('/api/v1/sales', { lines: [line] })).toMatchObject({
      status: 403,
      body: { error: { code: 'approval_refused' } },
    });
    const ok = await post('/api/v1/sales', {
      lines: [{ ...line, override: { ...line.override, approval: { user: 'm1', pin: PINS.manager } } }],
    });
    expect(ok.status).toBe(201);
    expect(ok.body.data.lines[0]).toMatchObject({
      verdict: 'unverifiable',
      override: { by: 'm1', reason: 'not covered yet' },
    });
  });

  it('two API clients selling the same code at once: exactly one succeeds', async () => {
    const shared = code(130);
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post('/api/v1/sales', {
          externalRef: `race-${i}`,
          lines: [{ data: code(131 + i) }, { data: shared }],
        }),
      ),
    );
    expect(attempts.filter((a) => a.status === 201)).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 409)).toHaveLength(11);
    const writeOffs = server.t.ledger.db
      .prepare(
        "SELECT COUNT(*) AS n FROM ledger_records WHERE type = 'write_off' AND json_extract(payload, '$.codeKey') = ?",
      )
      .get(shared) as { n: number };
    expect(writeOffs.n).toBe(1);
  });

  it('POST /api/v1/checkout/check gives the basket verdict', async () => {
    expect((await post('/api/v1/checkout/check', { data: code(100) })).body.data).toMatchObject({
      verdict: 'already_sold',
      sellable: false,
      overridable: false,
      codeTail: code(100).slice(-6),
      sold: { where: 'here' },
    });
    expect((await post('/api/v1/checkout/check', { data: code(140, NOT_COVERED) })).body.data).toMatchObject({
      verdict: 'unverifiable',
      overridable: true,
    });
  });
});

describe('POST /api/v1/returns', () => {
  it('needs a manager: refused without approval, accepted with a manager PIN, 409 with reasons otherwise', async () => {
    const sale = await post('/api/v1/sales', { lines: [{ data: code(150) }] });
    expect(sale.status).toBe(201);
    const body = { externalRef: 'ret-1', lines: [{ data: code(150) }] };
    expect(await post('/api/v1/returns', body)).toMatchObject({
      status: 403,
      body: { error: { code: 'approval_required' } },
    });
    expect(
      (await post('/api/v1/returns', { ...body, approval: { user: 'c1', pin: PINS.cashier } })).status,
    ).toBe(403);
    const ok = await post('/api/v1/returns', { ...body, approval: { user: 'm1', pin: PINS.manager } });
    expect(ok).toMatchObject({
      status: 201,
      body: { data: { approvedBy: 'm1', lines: [{ codeKey: code(150) }], replayed: false } },
    });
    expect(server.t.ledger.writeOffOf(code(150))).toBeUndefined();
    const again = await post(
      '/api/v1/returns',
      { lines: [{ data: code(150) }, { data: code(800000002) }] },
      server.tokens.manager,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.refused.map((r: { reason: string }) => r.reason)).toEqual([
      'not_sold_here',
      'not_sold_here',
    ]);
  });
});

describe('API rules on a terminal with a controlled clock', () => {
  const DAY = 86_400_000;
  let now = Date.now();
  let temp2: ReturnType<typeof makeTempDir>;
  let lane: Awaited<ReturnType<typeof startCheckoutServer>>;
  const send = (path: string, body: unknown, bearer?: string) =>
    call(lane.url, 'POST', path, body, bearer ?? lane.tokens.manager);

  beforeAll(async () => {
    temp2 = makeTempDir();
    lane = await startCheckoutServer({ dir: temp2.dir, clock: () => new Date(now) });
  });
  afterAll(async () => {
    await lane.close();
    temp2.cleanup();
  });

  it('a second sale of a code is refused and leaves a clone alert with both contexts', async () => {
    const first = await send(
      '/api/v1/sales',
      { externalRef: 'x-1', lines: [{ data: code(1) }] },
      lane.tokens.cashier,
    );
    const second = await send(
      '/api/v1/sales',
      { externalRef: 'x-2', lines: [{ data: code(1) }] },
      lane.tokens.cashier,
    );
    expect(second).toMatchObject({
      status: 409,
      body: { error: { refused: [{ verdict: 'already_sold', codeKey: code(1) }] } },
    });
    const alert = lane.t.ledger.records(0, 100).find((r) => r.type === 'alert');
    expect(alert?.payload).toMatchObject({
      kind: 'clone',
      previous: { saleId: first.body.data.saleId, storeId: 'store-a' },
      attempt: { externalRef: 'x-2', cashier: 'cashier-token' },
    });
  });

  it('returns are refused for recalled units and after the window; accepted inside it', async () => {
    await send(
      '/api/v1/sales',
      { lines: [{ data: code(2) }, { data: code(3) }, { data: code(4) }] },
      lane.tokens.cashier,
    );
    lane.t.setStatus(code(2), 'recalled');
    expect(await send('/api/v1/returns', { lines: [{ data: code(2) }] })).toMatchObject({
      status: 409,
      body: { error: { code: 'lines_refused', refused: [{ reason: 'recalled' }] } },
    });
    now += 9 * DAY;
    expect(await send('/api/v1/returns', { lines: [{ data: code(3) }] })).toMatchObject({
      status: 201,
      body: { data: { approvedBy: 'manager-token' } },
    });
    now += 2 * DAY;
    expect(await send('/api/v1/returns', { lines: [{ data: code(4) }] })).toMatchObject({
      status: 409,
      body: { error: { refused: [{ reason: 'window_passed' }] } },
    });
  });
});
