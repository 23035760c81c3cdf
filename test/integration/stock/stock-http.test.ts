import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cn20 } from '../../helpers/receiving-fixture.js';
import { type StockApi, startStockApi } from '../../helpers/stock-api.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { call } from '../checkout/http-fixture.js';

/**
 * The stock API over the real HTTP server: cashiers count shelves (stocktakes), only managers
 * accept differences or ship anything out; every boundary is tried by a weaker caller, and bad
 * bodies are refused before any state changes.
 */
let tmp: ReturnType<typeof makeTempDir>;
let rig: StockRig;
let api: StockApi;
let url: string;
let tokens: StockApi['tokens'];

beforeAll(async () => {
  tmp = makeTempDir('vt-stock-http-');
  rig = StockRig.create(tmp.dir);
  api = await startStockApi(rig);
  ({ url, tokens } = api);
});
afterAll(async () => {
  await api?.close();
  rig?.close();
  tmp?.cleanup();
});

const as = (role: keyof StockApi['tokens'] | undefined) => api.as(role);

describe('stock API', () => {
  it('a cashier counts a shelf, closes and exports the stocktake; only a manager accepts its differences', async () => {
    const opened = await as('cashier').post('/api/v1/stocktakes', { scope: 'all' });
    expect(opened).toMatchObject({
      status: 201,
      body: { data: { state: 'open', openedBy: 'cashier-token' } },
    });
    const id = opened.body.data.id as string;
    const scans = await as('cashier').post(`/api/v1/stocktakes/${id}/scans`, {
      codes: [cn20(0), cn20(1), cn20(2), cn20(3), cn20(4), cn20(77)],
    });
    expect(scans.body.data.map((a: { result: string }) => a.result)).toEqual([
      'found',
      'found',
      'found',
      'found',
      'found',
      'extra',
    ]);
    const report = await as('cashier').get(`/api/v1/stocktakes/${id}/report`);
    expect(report.body.data).toMatchObject({
      expected: 6,
      found: 5,
      missing: { '6900001': [cn20(5).slice(7)] },
    });
    expect((await as('cashier').post(`/api/v1/stocktakes/${id}/close`)).body.data.type).toBe('stocktake');
    const csv = await fetch(`${url}/api/v1/stocktakes/${id}/csv`, {
      headers: { authorization: `Bearer ${tokens.cashier}` },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toContain(`${cn20(77)},6900001,extra,not received here`);

    // Attackers: a cashier, a kiosk, nobody, a made-up token cannot accept.
    const accept = { reason: 'count' };
    expect(await as('cashier').post(`/api/v1/stocktakes/${id}/accept`, accept)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect((await as('kiosk').post(`/api/v1/stocktakes/${id}/accept`, accept)).status).toBe(403);
    expect((await as(undefined).post(`/api/v1/stocktakes/${id}/accept`, accept)).status).toBe(403);
    expect((await call(url, 'POST', `/api/v1/stocktakes/${id}/accept`, accept, 'made-up')).status).toBe(401);
    expect(rig.stock.reader.unit(cn20(5)).state).toBe('on_hand');

    expect(await as('manager').post(`/api/v1/stocktakes/${id}/accept`, { reason: '' })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringContaining('reason') } },
    });
    const accepted = await as('manager').post(`/api/v1/stocktakes/${id}/accept`, accept);
    expect(accepted.body.data.record.payload).toMatchObject({ approvedBy: 'manager-token', reason: 'count' });
    expect(rig.stock.reader.unit(cn20(5)).state).toBe('lost');
    expect(await as('manager').post(`/api/v1/stocktakes/${id}/accept`, accept)).toMatchObject({
      status: 409,
      body: { error: { code: 'already_accepted' } },
    });
  });

  it('kiosk and anonymous callers cannot count; a cashier cannot ship or destroy anything', async () => {
    for (const role of ['kiosk', undefined] as const) {
      expect((await as(role).post('/api/v1/stocktakes', { scope: 'all' })).status).toBe(403);
      expect((await as(role).get('/api/v1/stock')).status).toBe(403);
    }
    const head = rig.ledger.headSeq();
    expect(
      await as('cashier').post('/api/v1/shipments', { kind: 'destruction', reason: 'expired' }),
    ).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    // A manager's open shipment: a cashier still cannot add to it, close it or cancel it.
    const opened = await as('manager').post('/api/v1/shipments', { kind: 'destruction', reason: 'expired' });
    const id = opened.body.data.id as string;
    for (const path of ['scans', 'removals'])
      expect((await as('cashier').post(`/api/v1/shipments/${id}/${path}`, { codes: [cn20(4)] })).status).toBe(
        403,
      );
    expect((await as('cashier').post(`/api/v1/shipments/${id}/close`)).status).toBe(403);
    expect((await as('cashier').post(`/api/v1/shipments/${id}/cancel`)).status).toBe(403);
    expect(rig.ledger.headSeq()).toBe(head);

    const added = await as('manager').post(`/api/v1/shipments/${id}/scans`, { codes: [cn20(4), cn20(5)] });
    expect(added.body.data.map((a: { result: string }) => a.result)).toEqual(['added', 'refused']);
    const closed = await as('manager').post(`/api/v1/shipments/${id}/close`);
    expect(closed.body.data.payload).toMatchObject({ kind: 'destruction', approvedBy: 'manager-token' });
    expect(rig.stock.reader.unit(cn20(4)).state).toBe('destroyed');
    const stock = await as('cashier').get('/api/v1/stock');
    expect(stock.body.data).toEqual([
      expect.objectContaining({ received: 6, foundIn: 1, destroyed: 1, lost: 1, onHand: 5 }),
    ]);
    expect((await as('cashier').get(`/api/v1/stock/units/${cn20(4)}`)).body.data).toMatchObject({
      state: 'destroyed',
    });
  });

  it('refuses bad bodies and ids before anything changes, naming what was wrong', async () => {
    const head = rig.ledger.headSeq();
    const m = as('manager');
    expect(await m.post('/api/v1/shipments', { kind: 'burn', reason: 'expired' })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('kind') } },
    });
    expect(await m.post('/api/v1/shipments', { kind: 'transfer', reason: 'rebalance' })).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_shipment', message: expect.stringContaining('toStoreId') } },
    });
    expect(
      (await m.post('/api/v1/shipments', { kind: 'destruction', reason: 'expired', extra: 1 })).status,
    ).toBe(400);
    expect(await m.post('/api/v1/stocktakes/not-an-id/scans', { codes: [cn20(1)] })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('session id') } },
    });
    expect(
      await m.post('/api/v1/stocktakes/01ARZ3NDEKTSV4RRFFQ69G5FAV/scans', { codes: [cn20(1)] }),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'session_unknown' } },
    });
    const t = await m.post('/api/v1/stocktakes', {});
    const flood = Array.from({ length: 1001 }, (_, i) => cn20(i));
    expect(await m.post(`/api/v1/stocktakes/${t.body.data.id}/scans`, { codes: flood })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('1000') } },
    });
    expect(
      (await m.post(`/api/v1/stocktakes/${t.body.data.id}/scans`, { codes: ['x'.repeat(513)] })).status,
    ).toBe(400);
    expect(rig.stock.unitCount(t.body.data.id)).toBe(0);
    expect(rig.ledger.headSeq()).toBe(head);
  });
});
