import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import type { SaleOutcome } from '../../../terminal/lanes/checkout-types.js';
import { replaySplitParts, storedSplitParts } from '../../../terminal/ledger/split-parts.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal, SPLIT } from './checkout-fixture.js';

/**
 * Split-pack sales (拆零) through the real CheckoutService, ReturnsService, Verifier and ledger
 * on SQLite files: a pack of 10 strips (fixture product SPLIT) sold in parts.
 */
let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
beforeEach(() => {
  temp = makeTempDir();
  t = openTerminal({ dir: temp.dir });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

const pack = (n: number) => code(n, SPLIT);
let refs = 0;
const sell = (lines: { data: string; quantity?: number }[]) =>
  t.checkout.completeSale({ externalRef: `s${++refs}`, cashier: 'c1', lines });

function refusedReasons(outcome: SaleOutcome): string[] {
  return outcome.ok || outcome.code !== 'lines_refused' ? [] : outcome.refused.map((r) => r.reason);
}

/** Everything the ledger holds, to prove a refusal wrote nothing but what it says. */
function recordTypes(): string[] {
  return t.ledger.records(0, 1000).map((r) => r.type);
}

describe('split-pack sales', () => {
  it('3 of 10, then 7 of 7 (written off with the last part), then a refused 1: no clone alert, nothing written', () => {
    const first = sell([{ data: pack(1), quantity: 3 }]);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.sale.lines[0]).toMatchObject({
      codeKey: pack(1),
      part: { quantity: 3, packQuantity: 10, unit: 'strip' },
    });
    expect(first.sale.writeOffs).toEqual([]);
    expect(t.ledger.writeOffOf(pack(1))).toBeUndefined();
    // The kiosk and the basket see an opened pack, still genuine.
    const opened = t.verifier.verify(pack(1), { record: false });
    expect(opened).toMatchObject({
      verdict: 'genuine',
      split: { packQuantity: 10, remaining: 7, unit: 'strip' },
    });

    const second = sell([{ data: pack(1), quantity: 7 }]);
    expect(second.ok).toBe(true);
    if (!second.ok) return;
    expect(second.sale.writeOffs.map((w) => w.codeKey)).toEqual([pack(1)]);
    expect(recordTypes()).toEqual(['sale', 'sale', 'write_off']);

    const before = t.ledger.headSeq();
    const third = sell([{ data: pack(1), quantity: 1 }]);
    expect(refusedReasons(third)).toEqual(['exceeds_remaining']);
    expect(third.ok ? '' : third.message).toContain('nothing was written off');
    expect(t.ledger.headSeq()).toBe(before); // no alert either: a cashier's slip, not a copied code
  });

  it('a second partial sale is not a clone; no quantity on an opened pack sells what is left', () => {
    expect(sell([{ data: pack(2), quantity: 4 }]).ok).toBe(true);
    expect(sell([{ data: pack(2), quantity: 2 }]).ok).toBe(true);
    const rest = sell([{ data: pack(2) }]);
    expect(rest.ok && rest.sale.lines[0]?.part).toEqual({ packQuantity: 10, quantity: 4, unit: 'strip' });
    expect(rest.ok && rest.sale.writeOffs.length).toBe(1);
    expect(recordTypes().filter((r) => r === 'alert')).toEqual([]);
  });

  it('refuses with named reasons and writes nothing: a quantity on a whole-pack product, more than remains, one pack on two lines, a bad quantity', () => {
    expect(sell([{ data: pack(3), quantity: 6 }]).ok).toBe(true);
    const head = t.ledger.headSeq();
    const notSplittable = sell([{ data: code(5), quantity: 2 }]);
    expect(refusedReasons(notSplittable)).toEqual(['not_splittable']);
    expect(notSplittable.ok ? undefined : notSplittable.message).toBeDefined();
    const tooMany = sell([{ data: code(6) }, { data: pack(3), quantity: 5 }]);
    expect(refusedReasons(tooMany)).toEqual(['exceeds_remaining']);
    expect(tooMany.ok || tooMany.code !== 'lines_refused' ? '' : tooMany.refused[0]!.message).toBe(
      'Only 4 of 10 strips left, 5 asked',
    );
    const twice = sell([
      { data: pack(3), quantity: 1 },
      { data: pack(3), quantity: 1 },
    ]);
    expect(refusedReasons(twice)).toEqual(['duplicate_line']);
    const badQuantity = sell([{ data: pack(3), quantity: 0 }]);
    expect(badQuantity).toMatchObject({ ok: false, code: 'invalid_sale' });
    expect(badQuantity.ok ? '' : badQuantity.message).toContain('lines[0].quantity');
    expect(t.ledger.headSeq()).toBe(head);
    expect(t.ledger.writeOffOf(code(6))).toBeUndefined();
  });

  it('the whole-pack path is unchanged: no part on the line, one write-off, a resale is a clone', () => {
    const whole = sell([{ data: pack(4) }]);
    expect(whole.ok && whole.sale.lines[0]?.part).toBeUndefined();
    expect(whole.ok && whole.sale.writeOffs.length).toBe(1);
    const again = sell([{ data: pack(4), quantity: 1 }]);
    expect(again.ok ? [] : again.code === 'lines_refused' ? again.refused.map((r) => r.verdict) : []).toEqual(
      ['already_sold'],
    );
    expect(recordTypes()).toContain('alert');
  });

  it('returns take back the newest part by the usual rules; the last part brings its write-off back', () => {
    expect(sell([{ data: pack(7), quantity: 3 }]).ok).toBe(true);
    expect(sell([{ data: pack(7), quantity: 7 }]).ok).toBe(true);
    const back = t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: pack(7) }] });
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.return.lines[0]).toMatchObject({ codeKey: pack(7), part: { quantity: 7, line: 0 } });
    expect(back.return.lines[0]?.writeOffSeq).toBeGreaterThan(0);
    expect(t.ledger.writeOffOf(pack(7))).toBeUndefined();
    expect(t.verifier.verify(pack(7), { record: false }).split?.remaining).toBe(7);
    // The first part (no write-off of its own) comes back alone.
    const first = t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: pack(7) }] });
    expect(first.ok && first.return.lines[0]).toEqual({
      codeKey: pack(7),
      saleId: expect.any(String),
      part: { saleSeq: 1, line: 0, quantity: 3 },
    });
    expect(t.verifier.verify(pack(7), { record: false }).split).toBeUndefined();
    const none = t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: pack(7) }] });
    expect(none.ok ? [] : none.code === 'lines_refused' ? none.refused.map((r) => r.reason) : []).toEqual([
      'not_sold_here',
    ]);
    // A whole pack again: an unopened pack sells whole.
    expect(sell([{ data: pack(7) }]).ok).toBe(true);
  });

  it('a return of a part after the window is refused (the existing rules)', () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    t.close();
    t = openTerminal({ dir: temp.dir, clock: () => new Date(now) });
    expect(sell([{ data: pack(8), quantity: 2 }]).ok).toBe(true);
    now += 11 * 86_400_000;
    const late = t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: pack(8) }] });
    expect(late.ok ? [] : late.code === 'lines_refused' ? late.refused.map((r) => r.reason) : []).toEqual([
      'window_passed',
    ]);
  });

  it('the projection equals a replay of the ledger, and a rebuild writes the same rows', () => {
    sell([{ data: pack(9), quantity: 2 }]);
    sell([{ data: pack(9), quantity: 8 }]);
    sell([{ data: pack(10), quantity: 5 }]);
    t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: pack(9) }] });
    const stored = storedSplitParts(t.db);
    expect(stored).toHaveLength(3);
    expect(stored).toEqual(replaySplitParts(t.ledger.iterate()));
    t.db.exec('DELETE FROM ledger_split_parts');
    expect(t.ledger.rebuildSplitParts()).toBe(3);
    expect(storedSplitParts(t.db)).toEqual(stored);
  });
});

describe('split-pack sales on two lanes at once', () => {
  it('two lanes selling the last parts of one pack: one sells, the other is refused with nothing written', () => {
    expect(sell([{ data: pack(20), quantity: 6 }]).ok).toBe(true);
    const lane2 = openTerminal({ dir: temp.dir, terminalId: 'lane-1' });
    try {
      // Both judged against 4 left, before either commits.
      const a = t.checkout.prepare({ externalRef: 'lane-a', lines: [{ data: pack(20), quantity: 4 }] });
      const b = lane2.checkout.prepare({ externalRef: 'lane-b', lines: [{ data: pack(20), quantity: 3 }] });
      if ('ok' in a || 'ok' in b) throw new Error('expected both prepared');
      const first = t.ledger.transaction(() => t.checkout.commitPrepared(a));
      expect(first.ok && first.sale.writeOffs.length).toBe(1);
      const head = lane2.ledger.headSeq();
      const second = lane2.ledger.transaction(() => lane2.checkout.commitPrepared(b));
      expect(refusedReasons(second)).toEqual(['exceeds_remaining']);
      expect(second.ok || second.code !== 'lines_refused' ? '' : second.refused[0]!.message).toContain(
        'Only 0 of 10 strips left',
      );
      expect(lane2.ledger.headSeq()).toBe(head);
    } finally {
      lane2.close();
    }
  });

  it('a part that became the last meanwhile takes the write-off; a whole sale of a pack opened meanwhile is refused', () => {
    const a = t.checkout.prepare({ externalRef: 'x-a', lines: [{ data: pack(21), quantity: 6 }] });
    const b = t.checkout.prepare({ externalRef: 'x-b', lines: [{ data: pack(21), quantity: 4 }] });
    const c = t.checkout.prepare({ externalRef: 'x-c', lines: [{ data: pack(22) }] });
    const d = t.checkout.prepare({ externalRef: 'x-d', lines: [{ data: pack(22), quantity: 1 }] });
    if ('ok' in a || 'ok' in b || 'ok' in c || 'ok' in d) throw new Error('expected all prepared');
    expect(t.ledger.transaction(() => t.checkout.commitPrepared(a)).ok).toBe(true);
    const last = t.ledger.transaction(() => t.checkout.commitPrepared(b));
    expect(last.ok && last.sale.writeOffs.map((w) => w.codeKey)).toEqual([pack(21)]);
    expect(t.ledger.transaction(() => t.checkout.commitPrepared(d)).ok).toBe(true);
    const whole = t.ledger.transaction(() => t.checkout.commitPrepared(c));
    expect(refusedReasons(whole)).toEqual(['sold_concurrently']);
    expect(t.ledger.writeOffOf(pack(22))).toBeUndefined();
  });

  it('group commit: two sales of the last parts in one batch: one sells, the other is refused', async () => {
    expect(sell([{ data: pack(23), quantity: 5 }]).ok).toBe(true);
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all([
      batcher.submit({ externalRef: 'g-a', lines: [{ data: pack(23), quantity: 5 }] }),
      batcher.submit({ externalRef: 'g-b', lines: [{ data: pack(23), quantity: 2 }] }),
      batcher.submit({ externalRef: 'g-c', lines: [{ data: pack(24), quantity: 2 }] }),
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : refusedReasons(o).join()))).toEqual([
      'ok',
      'exceeds_remaining',
      'ok',
    ]);
    expect(t.ledger.writeOffOf(pack(23))).toBeDefined();
    expect(storedSplitParts(t.db)).toEqual(replaySplitParts(t.ledger.iterate()));
    expect(t.ledger.verifyChain(undefined, { payloads: true })).toMatchObject({ ok: true });
  });
});
