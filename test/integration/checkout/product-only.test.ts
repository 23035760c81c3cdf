import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import type { SaleReceiptDocument } from '../../../terminal/lanes/checkout-receipt.js';
import type { AlertPayload, SalePayload } from '../../../terminal/ledger/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import {
  code,
  GS1_BATCH,
  gs1Code,
  gs1Key,
  openTerminal,
  PRODUCT_ONLY,
  PRODUCT_ONLY_KEY,
  UNREGISTERED_EAN,
} from './checkout-fixture.js';

/**
 * Issue 16, items 2 and 4 on the checkout service (real SQLite ledger, real policy): product-only
 * packs (EAN, no serial) sell on a supervisor's approval as often as they are bought and write
 * nothing off; a registered code whose batch/expiry disagree with its unit is refused with a
 * `code_mismatch` alert carrying both values.
 */

let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
let printed: SaleReceiptDocument[];

beforeEach(() => {
  temp = makeTempDir();
  printed = [];
  t = openTerminal({ dir: temp.dir, receipts: { enqueue: (doc) => printed.push(doc) } });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

const approval = { by: 'sup-1', reason: 'EAN only: no unit code on the pack' };
const types = () => t.ledger.records(0, 1000).map((r) => r.type);

describe('product-only lines', () => {
  it('three packs of one EAN in three sales all sell on approval; no write-off, no alert', () => {
    for (const ref of ['pos-1', 'pos-2', 'pos-3']) {
      const outcome = t.checkout.completeSale({
        externalRef: ref,
        lines: [{ data: PRODUCT_ONLY, override: approval }],
      });
      if (!outcome.ok) throw new Error(`${ref}: ${outcome.message} ${JSON.stringify(outcome)}`);
      expect(outcome.sale.lines).toEqual([
        {
          codeKey: PRODUCT_ONLY_KEY,
          codeTail: PRODUCT_ONLY_KEY.slice(-6),
          override: approval,
          productKey: PRODUCT_ONLY_KEY,
          productName: { 'zh-CN': '矿泉水 550毫升', en: 'Mineral water 550 mL' },
          productOnly: true,
          reason: 'no_serial',
          verdict: 'unverifiable',
        },
      ]);
      expect(outcome.sale.writeOffs).toEqual([]);
    }
    expect(types()).toEqual(['sale', 'sale', 'sale']);
    expect(t.ledger.writeOffOf(PRODUCT_ONLY_KEY)).toBeUndefined();
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM ledger_write_offs').get()).toEqual({ n: 0 });
    // Each sale is stored with its line; the receipt marks it as sold on approval.
    expect((t.ledger.records(0, 1)[0]!.payload as SalePayload).lines[0]).toMatchObject({ productOnly: true });
    expect(printed).toHaveLength(3);
    expect(JSON.stringify(printed[2])).toContain('[!]');
    expect(JSON.stringify(printed[2])).toContain('Mineral water 550 mL');
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 3 });
  });

  it('two packs of one EAN in one basket are two packs, not a duplicate line; unit codes still write off', () => {
    const outcome = t.checkout.completeSale({
      lines: [
        { data: PRODUCT_ONLY, override: approval },
        { data: code(1) },
        { data: PRODUCT_ONLY, override: approval },
      ],
    });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.sale.lines.map((l) => [l.codeKey, l.productOnly ?? false])).toEqual([
      [PRODUCT_ONLY_KEY, true],
      [code(1), false],
      [PRODUCT_ONLY_KEY, true],
    ]);
    expect(outcome.sale.writeOffs.map((w) => w.codeKey)).toEqual([code(1)]);
    // The write-off names the unit's own line in the sale.
    expect(t.ledger.sale(outcome.sale.saleId)?.writeOffs[0]?.payload).toMatchObject({
      codeKey: code(1),
      line: 1,
    });
    expect(types()).toEqual(['sale', 'write_off']);
    // The same unit twice is still a duplicate line.
    const twice = t.checkout.completeSale({ lines: [{ data: code(2) }, { data: code(2) }] });
    expect(twice).toMatchObject({ ok: false, refused: [{ line: 1, reason: 'duplicate_line' }] });
  });

  it('without an approval the line is refused as overridable, with no alert; check says the same', () => {
    for (const [data, reason] of [
      [PRODUCT_ONLY, 'no_serial'],
      [UNREGISTERED_EAN, 'product_not_in_registry'],
    ] as const) {
      expect(t.checkout.checkLine(data)).toMatchObject({
        verdict: 'unverifiable',
        reason,
        decision: 'overridable',
        sellable: false,
        overridable: true,
        productOnly: true,
      });
      const refused = t.checkout.completeSale({ lines: [{ data }] });
      expect(refused).toMatchObject({
        ok: false,
        code: 'lines_refused',
        refused: [{ line: 0, verdict: 'unverifiable', reason, overridable: true }],
        alertIds: [],
      });
      const sold = t.checkout.completeSale({ lines: [{ data, override: approval }] });
      expect(sold).toMatchObject({
        ok: true,
        sale: { writeOffs: [], lines: [{ productOnly: true, reason }] },
      });
    }
    expect(types()).toEqual(['sale', 'sale']);
  });

  it('a write-off of a product key left by an older version does not block later packs', () => {
    // What the old checkout wrote for a product-only line: an active write-off of the product key.
    t.ledger.transaction(() => {
      const sale = t.ledger.append('sale', {
        lines: [
          { codeKey: PRODUCT_ONLY_KEY, codeTail: '567892', reason: 'no_serial', verdict: 'unverifiable' },
        ],
      });
      t.ledger.append('write_off', { codeKey: PRODUCT_ONLY_KEY, line: 0, saleId: sale.id });
    });
    expect(t.ledger.writeOffOf(PRODUCT_ONLY_KEY)).toBeDefined();
    expect(t.checkout.checkLine(PRODUCT_ONLY).decision).toBe('overridable');
    const outcome = t.checkout.completeSale({ lines: [{ data: PRODUCT_ONLY, override: approval }] });
    expect(outcome).toMatchObject({ ok: true });
    expect(t.ledger.records(0, 100).filter((r) => r.type === 'alert')).toEqual([]);
  });

  it('group commit (SaleBatcher) gives the same result: concurrent product-only sales all commit', async () => {
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        batcher.submit({
          externalRef: `batch-${i}`,
          lines: [
            { data: PRODUCT_ONLY, override: approval },
            { data: PRODUCT_ONLY, override: approval },
            { data: code(100 + i) },
          ],
        }),
      ),
    );
    for (const outcome of outcomes) {
      if (!outcome.ok) throw new Error(JSON.stringify(outcome));
      expect(outcome.sale.writeOffs).toHaveLength(1);
    }
    const records = t.ledger.records(0, 1000);
    expect(records.filter((r) => r.type === 'sale')).toHaveLength(6);
    expect(
      records
        .filter((r) => r.type === 'write_off')
        .map((r) => (r.payload as { codeKey: string }).codeKey)
        .sort(),
    ).toEqual(Array.from({ length: 6 }, (_, i) => code(100 + i)).sort());
    expect(records.filter((r) => r.type === 'alert')).toEqual([]);
    // And a unit code in two concurrent sales still sells once.
    const [a, b] = await Promise.all([
      batcher.submit({ lines: [{ data: PRODUCT_ONLY, override: approval }, { data: code(200) }] }),
      batcher.submit({ lines: [{ data: PRODUCT_ONLY, override: approval }, { data: code(200) }] }),
    ]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    expect(a.ok ? b : a).toMatchObject({ refused: [{ line: 1, reason: 'sold_concurrently' }] });
  });

  it('a product-only line cannot be returned by its code; the unit codes of the sale can', () => {
    const sold = t.checkout.completeSale({
      lines: [{ data: PRODUCT_ONLY, override: approval }, { data: code(5) }],
    });
    if (!sold.ok) throw new Error('sale failed');
    const refused = t.returns.processReturn({
      approvedBy: 'm1',
      lines: [{ data: PRODUCT_ONLY }, { data: code(5) }],
    });
    expect(refused).toMatchObject({
      ok: false,
      code: 'lines_refused',
      refused: [
        {
          line: 0,
          codeKey: PRODUCT_ONLY_KEY,
          reason: 'product_only',
          message: expect.stringContaining('product'),
        },
      ],
    });
    expect(t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: code(5) }] })).toMatchObject({
      ok: true,
    });
  });
});

describe('a code whose batch or expiry disagrees with its unit', () => {
  it('is refused as unknown with a code_mismatch alert carrying scanned and registered values, approval or not', () => {
    const check = t.checkout.checkLine(gs1Code(2, { batch: 'L9', expiry: '300630' }));
    expect(check).toMatchObject({
      verdict: 'unknown',
      reason: 'batch_mismatch',
      decision: 'refused',
      overridable: false,
      mismatch: {
        batch: { scanned: 'L9', registered: GS1_BATCH.number },
        expiry: { scanned: '2030-06-30', registered: GS1_BATCH.expiryDate },
      },
    });
    const outcome = t.checkout.completeSale({
      externalRef: 'pos-m',
      cashier: 'c1',
      lines: [
        { data: gs1Code(2, { batch: 'L9', expiry: '300630' }), override: approval },
        { data: gs1Code(3, { expiry: '300530' }) },
      ],
    });
    if (outcome.ok || outcome.code !== 'lines_refused') throw new Error(JSON.stringify(outcome));
    expect(outcome.refused).toEqual([
      expect.objectContaining({ line: 0, verdict: 'unknown', reason: 'batch_mismatch', overridable: false }),
      expect.objectContaining({
        line: 1,
        reason: 'expiry_mismatch',
        mismatch: { expiry: { scanned: '2030-05-30', registered: '2030-05-31' } },
      }),
    ]);
    // Both alerts go to the ledger (and so upstream) with the evidence; nothing was written off.
    const alerts = outcome.alertIds.map((id) => t.ledger.record(id)?.payload as AlertPayload);
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'code_mismatch',
        codeKey: gs1Key(2),
        verdict: 'unknown',
        reason: 'batch_mismatch',
        mismatch: check.mismatch,
        attempt: expect.objectContaining({ externalRef: 'pos-m', cashier: 'c1', storeId: 'store-a' }),
      }),
      expect.objectContaining({ kind: 'code_mismatch', codeKey: gs1Key(3), reason: 'expiry_mismatch' }),
    ]);
    expect(types()).toEqual(['alert', 'alert']);
  });

  it('agreeing values sell (AI 17 day 00 = end of month); a sold unit met with another batch is a clone carrying the mismatch', () => {
    const sold = t.checkout.completeSale({
      lines: [{ data: gs1Code(4, { batch: 'L1', expiry: '300500' }) }],
    });
    if (!sold.ok) throw new Error(JSON.stringify(sold));
    expect(sold.sale.writeOffs.map((w) => w.codeKey)).toEqual([gs1Key(4)]);
    const again = t.checkout.completeSale({ lines: [{ data: gs1Code(4, { batch: 'L7' }) }] });
    if (again.ok || again.code !== 'lines_refused') throw new Error(JSON.stringify(again));
    expect(again.refused[0]).toMatchObject({ verdict: 'already_sold', reason: 'written_off_here' });
    expect(t.ledger.record(again.alertIds[0]!)?.payload).toMatchObject({
      kind: 'clone',
      previous: { saleId: sold.sale.saleId },
      mismatch: { batch: { scanned: 'L7', registered: 'L1' } },
    });
  });
});
