import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SaleReceiptDocument } from '../../../terminal/lanes/checkout-receipt.js';
import type { AlertPayload, SalePayload } from '../../../terminal/ledger/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, NOT_COVERED, openTerminal } from './checkout-fixture.js';

let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
let printed: { doc: SaleReceiptDocument; saleId: string; committed: boolean }[];

beforeEach(() => {
  temp = makeTempDir();
  printed = [];
  t = openTerminal({
    dir: temp.dir,
    receipts: {
      enqueue: (doc, meta) =>
        printed.push({ doc, saleId: meta.saleId, committed: t.ledger.sale(meta.saleId) !== undefined }),
    },
  });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

const lines = (...codes: string[]) => codes.map((data) => ({ data }));

describe('checkout: completing a sale', () => {
  it('writes the sale and one write-off per code in one commit, then queues the receipt', () => {
    const outcome = t.checkout.completeSale({
      externalRef: 'pos-1',
      cashier: 'c7',
      lines: lines(code(1), code(2)),
    });
    if (!outcome.ok) throw new Error(outcome.message);
    const { sale } = outcome;
    expect(sale.lines.map((l) => [l.codeKey, l.verdict, l.codeTail])).toEqual([
      [code(1), 'genuine', code(1).slice(-6)],
      [code(2), 'genuine', code(2).slice(-6)],
    ]);
    expect(sale.writeOffs.map((w) => w.codeKey)).toEqual([code(1), code(2)]);
    expect(t.ledger.records(0, 10).map((r) => r.type)).toEqual(['sale', 'write_off', 'write_off']);
    expect(t.ledger.stats().pending).toBe(3);
    expect(t.ledger.writeOffOf(code(1))?.saleId).toBe(sale.saleId);
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 3 });
    // Receipt: queued after the commit, with the sale id in the QR code and code tails on the lines.
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({ saleId: sale.saleId, committed: true });
    const blocks = printed[0]!.doc.blocks;
    expect(blocks).toContainEqual(expect.objectContaining({ type: 'qr', data: sale.saleId }));
    expect(JSON.stringify(blocks)).toContain(`...${code(2).slice(-6)}`);
    expect(JSON.stringify(blocks)).toContain('[OK]');
    expect(JSON.stringify(blocks)).toContain('Cold relief granules');
  });

  it('refuses every unsellable line with its reason and writes nothing off', () => {
    const outcome = t.checkout.completeSale({
      externalRef: 'pos-2',
      lines: lines(
        code(3),
        code(800000001),
        code(800000002),
        code(800000004),
        code(800000005),
        code(900000001),
        'garbage',
        code(3),
      ),
    });
    expect(outcome).toMatchObject({ ok: false, code: 'lines_refused' });
    if (outcome.ok || outcome.code !== 'lines_refused') throw new Error('expected refusal');
    expect(outcome.refused.map((r) => [r.line, r.verdict, r.reason, r.overridable])).toEqual([
      [1, 'recalled', 'status_recalled', false],
      [2, 'stolen', 'status_stolen', false],
      [3, 'recalled', 'batch_recalled', false],
      [4, 'expired', 'past_expiry', false],
      [5, 'unknown', 'not_in_registry', false],
      [6, 'malformed', 'unrecognised', false],
      [7, 'genuine', 'duplicate_line', false],
    ]);
    expect(t.ledger.writeOffOf(code(3))).toBeUndefined();
    expect(t.ledger.saleByExternalRef('pos-2')).toBeUndefined();
    // The unknown code is reported upstream as an alert; nothing else was written.
    const records = t.ledger.records(0, 10);
    expect(records.map((r) => [r.type, (r.payload as AlertPayload).kind])).toEqual([
      ['alert', 'unknown_code'],
    ]);
    expect(outcome.alertIds).toEqual([records[0]!.id]);
    expect(printed).toHaveLength(0);
  });

  it('a sold code cannot be sold again: the line is refused and a clone alert carries both contexts', () => {
    const first = t.checkout.completeSale({ externalRef: 'pos-3', lines: lines(code(4)) });
    if (!first.ok) throw new Error('first sale failed');
    const second = t.checkout.completeSale({
      externalRef: 'pos-4',
      cashier: 'c9',
      lines: lines(code(5), code(4)),
    });
    if (second.ok || second.code !== 'lines_refused') throw new Error('expected refusal');
    expect(second.refused).toEqual([
      expect.objectContaining({
        line: 1,
        codeKey: code(4),
        verdict: 'already_sold',
        reason: 'written_off_here',
        overridable: false,
      }),
    ]);
    expect(t.ledger.writeOffOf(code(5))).toBeUndefined();
    const alert = t.ledger.record(second.alertIds[0]!);
    expect(alert?.type).toBe('alert');
    expect(alert?.payload).toMatchObject({
      kind: 'clone',
      codeKey: code(4),
      previous: {
        where: 'here',
        saleId: first.sale.saleId,
        storeId: 'store-a',
        terminalId: 'lane-1',
        at: first.sale.at,
      },
      attempt: { externalRef: 'pos-4', cashier: 'c9', storeId: 'store-a', terminalId: 'lane-1' },
    });
  });

  it('a code sold at another store (registry) raises a clone alert naming that store', () => {
    const outcome = t.checkout.completeSale({ lines: lines(code(800000006)) });
    if (outcome.ok || outcome.code !== 'lines_refused') throw new Error('expected refusal');
    expect(outcome.refused[0]).toMatchObject({ verdict: 'already_sold', reason: 'sold_upstream' });
    expect(t.ledger.record(outcome.alertIds[0]!)?.payload).toMatchObject({
      kind: 'clone',
      previous: { where: 'upstream', storeId: 'store-b', at: '2026-01-02T03:04:05.000Z' },
    });
  });

  it('only an unverifiable line may be sold on a supervisor override, and the override is recorded', () => {
    const unverifiable = code(7, NOT_COVERED);
    const refused = t.checkout.completeSale({ lines: lines(unverifiable) });
    if (refused.ok || refused.code !== 'lines_refused') throw new Error('expected refusal');
    expect(refused.refused[0]).toMatchObject({
      verdict: 'unverifiable',
      reason: 'product_not_covered',
      overridable: true,
    });

    const override = { by: 'sup-1', reason: 'registry does not cover vitamins' };
    const notForRecalled = t.checkout.completeSale({ lines: [{ data: code(800000001), override }] });
    expect(notForRecalled).toMatchObject({
      ok: false,
      refused: [expect.objectContaining({ verdict: 'recalled' })],
    });

    const sold = t.checkout.completeSale({ lines: [{ data: unverifiable, override }, { data: code(8) }] });
    if (!sold.ok) throw new Error('override sale failed');
    expect(sold.sale.lines[0]).toMatchObject({ verdict: 'unverifiable', override });
    expect(sold.sale.lines[1]?.override).toBeUndefined();
    expect((t.ledger.sale(sold.sale.saleId)!.sale.payload as SalePayload).lines[0]?.override).toEqual(
      override,
    );
    expect(JSON.stringify(printed[0]?.doc)).toContain('[!]');
    expect(
      t.checkout.completeSale({ lines: [{ data: code(9), override: { by: 'sup-1', reason: ' ' } }] }),
    ).toMatchObject({
      ok: false,
      code: 'invalid_sale',
    });
  });

  it('is idempotent on externalRef: a retry returns the same sale and writes nothing new', () => {
    const first = t.checkout.completeSale({ externalRef: 'pos-5', lines: lines(code(10), code(11)) });
    const head = t.ledger.headSeq();
    const retry = t.checkout.completeSale({ externalRef: 'pos-5', lines: lines(code(11), code(10)) });
    expect(retry).toEqual({ ...first, replayed: true });
    expect(t.ledger.headSeq()).toBe(head);
    expect(printed).toHaveLength(1);
    expect(t.checkout.completeSale({ externalRef: 'pos-5', lines: lines(code(12)) })).toMatchObject({
      ok: false,
      code: 'idempotency_conflict',
    });
    expect(t.ledger.headSeq()).toBe(head);
  });

  it('rejects malformed requests with a message naming the problem', () => {
    expect(t.checkout.completeSale({ lines: [] })).toMatchObject({
      code: 'invalid_sale',
      message: expect.stringContaining('lines'),
    });
    expect(t.checkout.completeSale({ lines: [{ data: 5 as unknown as string }] })).toMatchObject({
      code: 'invalid_sale',
      message: expect.stringContaining('lines[0].data'),
    });
  });

  it('a receipt sink that throws does not undo the committed sale', () => {
    t.close();
    t = openTerminal({
      dir: temp.dir,
      receipts: {
        enqueue: () => {
          throw new Error('paper out');
        },
      },
    });
    const outcome = t.checkout.completeSale({ lines: lines(code(13)) });
    expect(outcome.ok).toBe(true);
    expect(t.ledger.writeOffOf(code(13))).toBeDefined();
  });
});
