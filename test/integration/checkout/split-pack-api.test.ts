import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSaleReceipt } from '../../../terminal/lanes/checkout-receipt.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, SPLIT } from './checkout-fixture.js';
import { call, startCheckoutServer } from './http-fixture.js';

/**
 * Split packs over the real HTTP API: the quantity is validated before anything is judged or
 * written (every malformed value named), roles are enforced as for any sale, a retry is idempotent
 * only with the same parts, and the check answers with the pack and the decision.
 */
describe('split packs over HTTP', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let server: Awaited<ReturnType<typeof startCheckoutServer>>;
  beforeAll(async () => {
    tmp = makeTempDir();
    server = await startCheckoutServer({ dir: tmp.dir });
  });
  afterAll(async () => {
    await server?.close();
    tmp?.cleanup();
  });
  const sale = (body: unknown, role: 'cashier' | 'kiosk' | 'manager' = 'cashier') =>
    call(server.url, 'POST', '/api/v1/sales', body, server.tokens[role]);

  it.each([0, -1, 1.5, '3', 10_001, null])(
    'refuses quantity %j with 400 naming the field; nothing written',
    async (q) => {
      const head = server.t.ledger.headSeq();
      const r = await sale({ lines: [{ data: code(1, SPLIT), quantity: q }] });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('lines.0.quantity');
      expect(server.t.ledger.headSeq()).toBe(head);
    },
  );

  it('a kiosk token or an anonymous caller cannot sell parts; the check needs a cashier too', async () => {
    const body = { lines: [{ data: code(2, SPLIT), quantity: 1 }] };
    expect((await sale(body, 'kiosk')).status).toBe(403);
    expect((await call(server.url, 'POST', '/api/v1/sales', body)).status).toBe(403);
    const check = await call(
      server.url,
      'POST',
      '/api/v1/checkout/check',
      { data: code(2, SPLIT), quantity: 1 },
      server.tokens.kiosk,
    );
    expect(check.status).toBe(403);
    expect(server.t.ledger.headSeq()).toBe(0);
  });

  it('the check answers with the pack, the parts left and the decision for a quantity', async () => {
    const check = (data: string, quantity?: number) =>
      call(
        server.url,
        'POST',
        '/api/v1/checkout/check',
        { data, ...(quantity ? { quantity } : {}) },
        server.tokens.cashier,
      );
    const fresh = await check(code(3, SPLIT), 4);
    expect(fresh.body.data).toMatchObject({
      decision: 'sellable',
      split: { packQuantity: 10, unit: 'strip', remaining: 10 },
    });
    expect(fresh.body.data.message).toContain('4/10 strips, 6 left');
    const whole = await check(code(3), 2);
    expect(whole.body.data).toMatchObject({
      decision: 'refused',
      reason: 'not_splittable',
      verdict: 'genuine',
    });
    expect((await check(code(3, SPLIT), 11)).body.data).toMatchObject({
      decision: 'refused',
      reason: 'exceeds_remaining',
    });
  });

  it('sells a part with 201; a retry replays it; the same ref with other parts is an idempotency conflict', async () => {
    const body = { externalRef: 'pos-77', lines: [{ data: code(4, SPLIT), quantity: 3 }] };
    const first = await sale(body);
    expect(first.status).toBe(201);
    expect(first.body.data.lines[0].part).toEqual({ packQuantity: 10, quantity: 3, unit: 'strip' });
    expect(first.body.data.writeOffs).toEqual([]);
    const again = await sale(body);
    expect(again.body.data).toMatchObject({ saleId: first.body.data.saleId, replayed: true });
    const other = await sale({ externalRef: 'pos-77', lines: [{ data: code(4, SPLIT), quantity: 4 }] });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect(server.t.ledger.splitSoldOf([code(4, SPLIT)]).get(code(4, SPLIT))).toBe(3);
    const refused = await sale({ lines: [{ data: code(4, SPLIT), quantity: 8 }] });
    expect(refused.status).toBe(409);
    expect(refused.body.error.refused).toEqual([
      expect.objectContaining({
        line: 0,
        reason: 'exceeds_remaining',
        message: 'Only 7 of 10 strips left, 8 asked',
      }),
    ]);
  });

  it('the printed receipt carries the part after the code tail', () => {
    const doc = buildSaleReceipt({
      saleId: '01SALE',
      at: '2026-12-07T10:00:00.000Z',
      storeName: 'S',
      terminalId: 'lane-1',
      lines: [
        {
          codeKey: code(5, SPLIT),
          codeTail: '050000',
          part: { packQuantity: 10, quantity: 3, unit: 'strip' },
          reason: 'active',
          verdict: 'genuine',
        },
        { codeKey: code(6), codeTail: '060000', reason: 'active', verdict: 'genuine' },
      ],
    });
    const texts = doc.blocks.flatMap((b) => (b.type === 'columns' ? [b.columns[0]!.text] : []));
    expect(texts).toContain('  ...050000 3/10 strips');
    expect(texts).toContain('  ...060000');
  });
});
