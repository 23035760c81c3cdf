/**
 * The store-day reference model (lib/model.ts) is the specification the stack is held to, so its
 * rules are pinned here on their own, without any terminal: a wrong model would let a wrong
 * terminal pass (or fail a right one) in store-day.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { StoreDayModel } from './lib/model.js';
import { OpGenerator, predict } from './lib/ops.js';

describe('store-day reference model', () => {
  it('a sale writes off unit lines at once here; the other store may or may not know until settle', () => {
    const m = new StoreDayModel();
    expect(m.sale('S1', 'r1', [{ code: 'a1' }, { code: 'ean', override: 'ok' }])).toEqual({
      ok: true,
      writeOffs: ['69012340000000017001'],
    });
    expect(m.expected('S1', 'a1')).toEqual({
      verdict: 'already_sold',
      reason: 'written_off_here',
      soldAt: 'S1',
    });
    expect(m.possible('S2', 'a1')).toEqual([
      { verdict: 'genuine', reason: 'active' },
      { verdict: 'already_sold', reason: 'sold_upstream', soldAt: 'S1' },
    ]);
    expect(m.determinate('S2', 'a1')).toBe(false);
    m.settle();
    expect(m.expected('S2', 'a1')).toEqual({
      verdict: 'already_sold',
      reason: 'sold_upstream',
      soldAt: 'S1',
    });
    expect(m.ledger.S1).toEqual([
      'sale:69012340000000017001,0106901234567892',
      'write_off:69012340000000017001',
    ]);
  });

  it('EAN packs sell only on an approval, any number of them, and never write anything off', () => {
    const m = new StoreDayModel();
    expect(m.sale('S1', 'r1', [{ code: 'ean' }])).toEqual({
      ok: false,
      status: 409,
      code: 'lines_refused',
      refused: [{ line: 0, verdict: 'unverifiable', reason: 'no_serial' }],
    });
    expect(
      m.sale('S1', 'r2', [
        { code: 'ean', override: 'ok' },
        { code: 'ean', override: 'ok' },
      ]),
    ).toEqual({
      ok: true,
      writeOffs: [],
    });
    expect(m.sale('S1', 'r3', [{ code: 'ean', override: 'ok' }])).toEqual({ ok: true, writeOffs: [] });
    expect(m.return('S1', ['ean'], 'ok')).toMatchObject({ refused: [{ line: 0, reason: 'product_only' }] });
  });

  it('a basket with one bad line is refused whole; sold and mismatched lines file their alerts', () => {
    const m = new StoreDayModel();
    m.sale('S1', 'r1', [{ code: 'a1' }]);
    const ledger = [...m.ledger.S1];
    expect(
      m.sale('S1', 'r2', [{ code: 'a2' }, { code: 'a1' }, { code: 'bm1' }, { code: 'ar1', override: 'ok' }]),
    ).toEqual({
      ok: false,
      status: 409,
      code: 'lines_refused',
      refused: [
        { line: 1, verdict: 'already_sold', reason: 'written_off_here' },
        { line: 2, verdict: 'unknown', reason: 'batch_mismatch' },
        { line: 3, verdict: 'recalled', reason: 'batch_recalled' },
      ],
    });
    expect(m.expected('S1', 'a2').verdict).toBe('genuine');
    expect(m.ledger.S1).toEqual([
      ...ledger,
      'alert:clone:69012340000000017001',
      'alert:code_mismatch:0106901234567892211000011',
    ]);
    expect(m.cloneAlerts()).toEqual(['S1:69012340000000017001']);
  });

  it('returns: same store, within 10 days, manager approval; genuine again at once', () => {
    const m = new StoreDayModel();
    m.sale('S1', 'r1', [{ code: 'a1' }, { code: 'a2' }]);
    m.settle();
    expect(m.return('S2', ['a1'], 'ok')).toMatchObject({ refused: [{ line: 0, reason: 'other_store' }] });
    expect(m.return('S1', ['a1'], 'badpin')).toEqual({ ok: false, status: 403, code: 'approval_required' });
    m.advanceClock('S1', 9);
    expect(m.return('S1', ['a1'], 'ok')).toEqual({ ok: true, keys: ['69012340000000017001'] });
    expect(m.expected('S1', 'a1')).toEqual({ verdict: 'genuine', reason: 'active' });
    expect(m.possible('S2', 'a1')).toHaveLength(2);
    m.advanceClock('S1', 1);
    // 10 days and the seconds the day took: past the window.
    expect(m.return('S1', ['a2'], 'ok')).toMatchObject({ refused: [{ line: 0, reason: 'window_passed' }] });
    m.settle();
    expect(m.expected('S2', 'a1')).toEqual({ verdict: 'genuine', reason: 'active' });
  });

  it('a recall published while a store is offline is in doubt there until the next settle', () => {
    const m = new StoreDayModel();
    m.setLink('S2', false);
    m.publish({ kind: 'recall', batch: 'A2' });
    expect(m.expected('S1', 'a8')).toEqual({ verdict: 'recalled', reason: 'batch_recalled' });
    expect(m.possible('S2', 'a8')).toHaveLength(2);
    m.settle();
    expect(m.expected('S2', 'a8')).toEqual({ verdict: 'recalled', reason: 'batch_recalled' });
    expect(m.expected('S2', 'a13')).toEqual({ verdict: 'unknown', reason: 'not_in_registry' });
    m.publish({ kind: 'stock', batch: 'A3' });
    expect(m.expected('S2', 'a13')).toEqual({ verdict: 'genuine', reason: 'active' });
  });

  it('the generator replays: one seed, one op list', () => {
    const run = (seed: number) => {
      const m = new StoreDayModel(() => Date.parse('2026-06-01T00:00:00Z'));
      const g = new OpGenerator(seed);
      return Array.from({ length: 300 }, () => {
        const op = g.next(m);
        predict(m, op);
        return JSON.stringify(op);
      });
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });
});
