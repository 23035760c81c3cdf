import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../kiosk-ui/src/shell/i18n.js';
import { countsOf, linesOf } from '../../../kiosk-ui/src/stock/differences.js';
import * as stock from '../../../kiosk-ui/src/stock/messages.js';
import type { StocktakePayload } from '../../../terminal/ledger/payloads.js';
import { STOCK_OUT_KINDS, STOCK_OUT_REASONS, STOCKTAKE_BAD_REASONS } from '../../../terminal/ledger/types.js';
import type { UnitStockState } from '../../../terminal/receiving/stock.js';

// UnitStockState has no const array on the server: listed here, and tsc fails when the union
// gains a state this list lacks.
const UNIT_STATES = [
  'not_received',
  'expected',
  'put_aside',
  'on_hand',
  'sold',
  'returned_to_supplier',
  'transferred',
  'destroyed',
  'lost',
] as const satisfies readonly UnitStockState[];
const statesComplete: [Exclude<UnitStockState, (typeof UNIT_STATES)[number]>] extends [never] ? true : false =
  true;

const HAN = '[\\u3400-\\u9fff\\u3000-\\u303f\\uff00-\\uffef]';
const tables = Object.entries(stock).filter(
  (e): e is [string, Record<'zh-CN' | 'en', Record<string, string>>] =>
    typeof e[1] === 'object' && e[1] !== null && 'zh-CN' in e[1],
);

describe('/stock page words', () => {
  it.each(tables)(
    '%s: the same keys in both languages, Chinese in Chinese, no typed spaces by Han',
    (_n, t) => {
      expect(Object.keys(t['zh-CN']).sort()).toEqual(Object.keys(t.en).sort());
      for (const [key, text] of Object.entries(t['zh-CN'])) {
        expect({ key, text }).toEqual({ key, text: expect.stringMatching(new RegExp(HAN)) });
        expect({ key, text }).not.toEqual({
          key,
          text: expect.stringMatching(new RegExp(`${HAN} | ${HAN}`)),
        });
        expect({ key, text }).not.toEqual({
          key,
          text: expect.stringMatching(/\b(cashier|manager|kiosk)\b/i),
        });
      }
    },
  );

  it("the page's lists are the server's (the page cannot import values from it)", () => {
    expect(stock.STOCK_OUT_KINDS).toEqual([...STOCK_OUT_KINDS]);
    expect(stock.STOCK_OUT_REASONS).toEqual([...STOCK_OUT_REASONS]);
  });

  it('has words for every kind, reason, bad reason and unit state the server sends', () => {
    expect(statesComplete).toBe(true);
    for (const locale of LOCALES) {
      expect(Object.keys(stock.kindNames[locale]).sort()).toEqual([...STOCK_OUT_KINDS].sort());
      expect(Object.keys(stock.outReasonNames[locale]).sort()).toEqual([...STOCK_OUT_REASONS].sort());
      expect(Object.keys(stock.stateNames[locale]).sort()).toEqual([...UNIT_STATES].sort());
      for (const bad of STOCKTAKE_BAD_REASONS) {
        expect(stock.differenceNames[locale]).toHaveProperty(bad);
        expect(stock.scanProblemNames[locale]).toHaveProperty(bad);
      }
    }
  });
});

describe('stocktake differences on the handheld', () => {
  const report: StocktakePayload = {
    stocktakeId: '01JEX0000000000000000000AA',
    scope: 'all',
    startedAt: '2026-12-07T10:00:00Z',
    expected: 7,
    found: 5,
    missing: { '6900001': ['0000000050000', '0000002000000'] },
    extra: {
      notReceived: { '6900001': ['0000009990000'] },
      sold: { '6900002': ['0000002010000'] },
      leftStock: {},
    },
    bad: [{ key: '69000010000000040000', reason: 'recalled' }],
  };

  it('counts scanned as found plus extra, and each difference once', () => {
    expect(countsOf(report)).toEqual({ scanned: 7, expected: 7, missing: 2, extra: 2, bad: 1 });
  });

  it('lists bad, then extra with why, then missing; at most the limit, with the total', () => {
    expect(linesOf(report, 100)).toEqual({
      total: 5,
      lines: [
        { key: '69000010000000040000', kind: 'bad', why: 'recalled' },
        { key: '69000010000009990000', kind: 'extra', why: 'notReceived' },
        { key: '69000020000002010000', kind: 'extra', why: 'sold' },
        { key: '69000010000000050000', kind: 'missing', why: 'missing' },
        { key: '69000010000002000000', kind: 'missing', why: 'missing' },
      ],
    });
    const cut = linesOf(report, 2);
    expect(cut.total).toBe(5);
    expect(cut.lines.map((l) => l.kind)).toEqual(['bad', 'extra']);
  });
});
