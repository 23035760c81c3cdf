import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../../terminal/ledger/payloads.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, gs1Code, PRODUCT_ONLY, PRODUCT_ONLY_KEY } from './checkout-fixture.js';
import { call, PINS, startCheckoutServer } from './http-fixture.js';

/**
 * The line decision over HTTP (real server, ledger and policy): /api/v1/checkout/check answers
 * with the decision /api/v1/sales then makes, for product-only packs and for codes that disagree
 * with their registered unit.
 */

let temp: ReturnType<typeof makeTempDir>;
let server: Awaited<ReturnType<typeof startCheckoutServer>>;
const post = (path: string, body: unknown, bearer = server.tokens.cashier) =>
  call(server.url, 'POST', path, body, bearer);

beforeAll(async () => {
  temp = makeTempDir();
  server = await startCheckoutServer({ dir: temp.dir });
});
afterAll(async () => {
  await server.close();
  temp.cleanup();
});

describe('product-only packs over HTTP', () => {
  it('check says overridable; three sales on a manager approval each answer 201 with no write-off', async () => {
    const check = await post('/api/v1/checkout/check', { data: PRODUCT_ONLY });
    expect(check).toMatchObject({
      status: 200,
      body: {
        status: 'ok',
        data: {
          verdict: 'unverifiable',
          reason: 'no_serial',
          decision: 'overridable',
          sellable: false,
          overridable: true,
          productOnly: true,
          codeKey: PRODUCT_ONLY_KEY,
          message: expect.stringContaining('supervisor'),
        },
      },
    });
    expect(await post('/api/v1/sales', { lines: [{ data: PRODUCT_ONLY }] })).toMatchObject({
      status: 409,
      body: { error: { code: 'lines_refused', refused: [{ reason: 'no_serial', overridable: true }] } },
    });
    const approvals = [
      { user: 'm1', pin: PINS.manager },
      { token: server.tokens.manager },
      { user: 'm1', pin: PINS.manager },
    ];
    for (const [i, approval] of approvals.entries()) {
      const sale = await post('/api/v1/sales', {
        externalRef: `ean-${i}`,
        lines: [{ data: PRODUCT_ONLY, override: { reason: 'EAN only', approval } }],
      });
      expect(sale.status, JSON.stringify(sale.body)).toBe(201);
      expect(sale.body.data).toMatchObject({
        lines: [{ codeKey: PRODUCT_ONLY_KEY, productOnly: true, override: { reason: 'EAN only' } }],
        writeOffs: [],
      });
      // The check after a sale still says the same: a product-only line has nothing to sell twice.
      expect((await post('/api/v1/checkout/check', { data: PRODUCT_ONLY })).body.data.decision).toBe(
        'overridable',
      );
    }
    const records = server.t.ledger.records(0, 100);
    expect(records.filter((r) => r.type === 'write_off')).toEqual([]);
    expect(records.filter((r) => r.type === 'alert')).toEqual([]);
    // A cashier's own PIN is no approval.
    expect(
      await post('/api/v1/sales', {
        lines: [
          { data: PRODUCT_ONLY, override: { reason: 'x', approval: { user: 'c1', pin: PINS.cashier } } },
        ],
      }),
    ).toMatchObject({ status: 403, body: { error: { code: 'approval_refused' } } });
  });

  it('a return by the product-only code is refused with its reason', async () => {
    const res = await post('/api/v1/returns', { lines: [{ data: PRODUCT_ONLY }] }, server.tokens.manager);
    expect(res).toMatchObject({
      status: 409,
      body: { error: { code: 'lines_refused', refused: [{ line: 0, reason: 'product_only' }] } },
    });
  });
});

describe('a code that disagrees with its registered unit, over HTTP', () => {
  it('check shows both values and refuses; the sale is 409 even with an approval, and files a code_mismatch alert', async () => {
    const data = gs1Code(7, { batch: 'L9' });
    expect((await post('/api/v1/checkout/check', { data })).body.data).toMatchObject({
      verdict: 'unknown',
      reason: 'batch_mismatch',
      decision: 'refused',
      overridable: false,
      mismatch: { batch: { scanned: 'L9', registered: 'L1' } },
      message: expect.stringContaining('batch L9 on the pack, L1 registered'),
    });
    const sale = await post('/api/v1/sales', {
      externalRef: 'mm-1',
      lines: [
        { data: code(1) },
        { data, override: { reason: 'try', approval: { user: 'm1', pin: PINS.manager } } },
      ],
    });
    expect(sale).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'lines_refused',
          refused: [
            { line: 1, reason: 'batch_mismatch', overridable: false, mismatch: { batch: { scanned: 'L9' } } },
          ],
        },
      },
    });
    expect(server.t.ledger.writeOffOf(code(1))).toBeUndefined();
    const alert = server.t.ledger
      .records(0, 100)
      .filter((r) => r.type === 'alert')
      .map((r) => r.payload as AlertPayload);
    expect(alert).toEqual([
      expect.objectContaining({
        kind: 'code_mismatch',
        reason: 'batch_mismatch',
        mismatch: { batch: { scanned: 'L9', registered: 'L1' } },
        attempt: expect.objectContaining({ externalRef: 'mm-1' }),
      }),
    ]);
  });
});
