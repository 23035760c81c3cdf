import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cn20 } from '../../helpers/receiving-fixture.js';
import { type StockApi, startStockApi } from '../../helpers/stock-api.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { call } from '../checkout/http-fixture.js';

/**
 * GET /api/v1/stocktakes/:id/records, which the /stock page reads when it opens a closed
 * stocktake: the signed `stocktake` record's differences as they were at the close (not today's
 * stock) and the manager's adjustment once accepted. Cashier-level like the CSV; kiosk, anonymous
 * and made-up callers are refused; a bad or unknown id is named.
 */
let tmp: ReturnType<typeof makeTempDir>;
let rig: StockRig;
let api: StockApi;
let url: string;

beforeAll(async () => {
  tmp = makeTempDir('vt-stocktake-records-');
  rig = StockRig.create(tmp.dir);
  api = await startStockApi(rig, { withLedger: true });
  ({ url } = api);
});
afterAll(async () => {
  await api?.close();
  rig?.close();
  tmp?.cleanup();
});

const as = (role: keyof StockApi['tokens'] | undefined) => api.as(role);

describe('stocktake records', () => {
  it('answers nothing while open, the closing differences once closed, and the adjustment once accepted', async () => {
    const id = (await as('cashier').post('/api/v1/stocktakes', { scope: 'all' })).body.data.id as string;
    await as('cashier').post(`/api/v1/stocktakes/${id}/scans`, {
      codes: [cn20(0), cn20(1), cn20(2), cn20(3), cn20(4), cn20(77)],
    });
    expect(await as('cashier').get(`/api/v1/stocktakes/${id}/records`)).toMatchObject({
      status: 200,
      body: { data: {} },
    });
    expect((await as('cashier').get(`/api/v1/stocktakes/${id}/records`)).body.data.stocktake).toBeUndefined();

    await as('cashier').post(`/api/v1/stocktakes/${id}/close`);
    const closed = await as('cashier').get(`/api/v1/stocktakes/${id}/records`);
    expect(closed.body.data.stocktake).toMatchObject({
      stocktakeId: id,
      expected: 6,
      found: 5,
      missing: { '6900001': [cn20(5).slice(7)] },
      extra: { notReceived: { '6900001': [cn20(77).slice(7)] } },
    });
    expect(closed.body.data.adjustment).toBeUndefined();

    await as('manager').post(`/api/v1/stocktakes/${id}/accept`, { reason: 'count' });
    const accepted = await as('cashier').get(`/api/v1/stocktakes/${id}/records`);
    expect(accepted.body.data.adjustment).toMatchObject({
      stocktakeId: id,
      approvedBy: 'manager-token',
      reason: 'count',
      out: { '6900001': [cn20(5).slice(7)] },
      in: { '6900001': [cn20(77).slice(7)] },
    });
    // The record still says what the close found, though stock has been adjusted since.
    expect(accepted.body.data.stocktake).toEqual(closed.body.data.stocktake);
    const now = await as('cashier').get(`/api/v1/stocktakes/${id}/report`);
    expect(now.body.data.missing).toEqual({});
  });

  it('refuses kiosk, anonymous and made-up callers; names a bad or unknown id', async () => {
    const id = (await as('cashier').post('/api/v1/stocktakes', { scope: 'all' })).body.data.id as string;
    expect((await as('kiosk').get(`/api/v1/stocktakes/${id}/records`)).status).toBe(403);
    expect((await as(undefined).get(`/api/v1/stocktakes/${id}/records`)).status).toBe(403);
    expect((await call(url, 'GET', `/api/v1/stocktakes/${id}/records`, undefined, 'made-up')).status).toBe(
      401,
    );
    expect(await as('cashier').get('/api/v1/stocktakes/not-an-id/records')).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringContaining('ULID') } },
    });
    expect(await as('cashier').get('/api/v1/stocktakes/01JEX0000000000000000000ZZ/records')).toMatchObject({
      status: 404,
      body: { error: { code: 'session_unknown' } },
    });
    // A shipment's id is not a stocktake's.
    const shipment = await as('manager').post('/api/v1/shipments', {
      kind: 'destruction',
      reason: 'expired',
    });
    expect(
      (await as('cashier').get(`/api/v1/stocktakes/${shipment.body.data.id as string}/records`)).status,
    ).toBe(404);
  });
});
