import { describe, expect, it } from 'vitest';
import { checkoutMessages, reasonText, returnReasonText } from '../../../kiosk-ui/src/checkout/messages.js';
import { kioskMessages } from '../../../kiosk-ui/src/kiosk/messages.js';
import * as manager from '../../../kiosk-ui/src/manager/messages.js';
import { enumText } from '../../../kiosk-ui/src/manager/reasons.js';
import * as managerReceiving from '../../../kiosk-ui/src/manager/receiving-messages.js';
import * as receiving from '../../../kiosk-ui/src/receiving/messages.js';
import { LOCALES, translator } from '../../../kiosk-ui/src/shell/i18n.js';
import { reportReference } from '../../../kiosk-ui/src/shell/report-ref.js';
import { roleNames, signInMessages } from '../../../kiosk-ui/src/shell/SignIn.js';
import { REASON_CODES } from '../../../terminal/health/reason-codes.js';
import type { RefusedReturnLine } from '../../../terminal/lanes/checkout-wire.js';
import { RECEIPT_EXCEPTION_REASONS } from '../../../terminal/ledger/payloads.js';
import { RECEIVING_MODES } from '../../../terminal/receiving/options.js';
import { VERDICT_REASONS } from '../../../terminal/verify/reasons.js';

// Return refusal reasons have no const array on the server: listed here, and tsc fails when the
// server's union gains one this list lacks.
const RETURN_REASONS = [
  'malformed',
  'duplicate_line',
  'not_sold_here',
  'other_store',
  'not_in_sale',
  'window_passed',
  'recalled',
  'withdrawn',
  'stolen',
  'destroyed',
  'locked',
  'expired',
  'product_only',
] as const satisfies readonly RefusedReturnLine['reason'][];
const returnReasonsComplete: [Exclude<RefusedReturnLine['reason'], (typeof RETURN_REASONS)[number]>] extends [
  never,
]
  ? true
  : false = true;

/** Every message table the pages show, by name: the same keys in both languages. */
const catalogues: Record<string, Record<'zh-CN' | 'en', Record<string, string>>> = {
  kioskMessages,
  checkoutMessages,
  'checkout reasonText': reasonText,
  returnReasonText,
  signInMessages,
  roleNames,
  ...Object.fromEntries(
    [...Object.entries(manager), ...Object.entries(receiving), ...Object.entries(managerReceiving)].filter(
      (e): e is [string, Record<'zh-CN' | 'en', Record<string, string>>] =>
        typeof e[1] === 'object' && e[1] !== null && 'zh-CN' in e[1],
    ),
  ),
};
const zhStrings = Object.entries(catalogues).flatMap(([table, c]) =>
  Object.entries(c['zh-CN']).map(([key, text]) => ({ where: `${table}.${key}`, text })),
);
const HAN = '[\\u3400-\\u9fff\\u3000-\\u303f\\uff00-\\uffef]';

describe('page words', () => {
  it('every verdict reason the server can record has words in both languages (event log)', () => {
    for (const locale of LOCALES) {
      expect(Object.keys(manager.verdictReasonMessages[locale]).sort()).toEqual([...VERDICT_REASONS].sort());
      for (const reason of VERDICT_REASONS) {
        const text = enumText(manager.verdictReasonMessages, locale, reason);
        expect(text, `${locale} ${reason}`).not.toBe(reason);
        if (locale === 'zh-CN') expect(text).toMatch(new RegExp(HAN));
      }
    }
  });

  it('receiving: every exception reason, mode and diversion state has words in both languages', () => {
    for (const locale of LOCALES) {
      expect(Object.keys(managerReceiving.receiptExceptionMessages[locale]).sort()).toEqual(
        [...RECEIPT_EXCEPTION_REASONS].sort(),
      );
      expect(Object.keys(managerReceiving.receivingModeMessages[locale]).sort()).toEqual(
        [...RECEIVING_MODES].sort(),
      );
      expect(Object.keys(managerReceiving.diversionStateMessages[locale]).sort()).toEqual(
        ['expected', 'not_received', 'put_aside'].sort(),
      );
    }
    expect(
      translator(kioskMessages, 'zh-CN')('receivedOn', { date: '2026年12月7日', supplier: '华东医药' }),
    ).toBe('本店于2026年12月7日从华东医药进货验收');
  });

  it('every health reason code has a zh-CN and an en template', () => {
    for (const locale of LOCALES) {
      expect(Object.keys(manager.reasonMessages[locale]).sort()).toEqual([...REASON_CODES].sort());
    }
  });

  it('return refusals have their own words, not the sale ones ("Stopped"/禁止销售)', () => {
    expect(returnReasonsComplete).toBe(true);
    for (const locale of LOCALES) {
      expect(Object.keys(returnReasonText[locale]).sort()).toEqual([...RETURN_REASONS].sort());
      const t = translator(checkoutMessages, locale);
      const refused = t('returnStopped', { reason: returnReasonText[locale].not_sold_here });
      expect(refused).not.toMatch(/Stopped|禁止销售|Not sold here/);
      expect(refused).toBe(
        locale === 'zh-CN'
          ? '不能退货：本店没有此商品的销售记录'
          : 'Cannot return: No sale of this item at this store',
      );
      // The sale table no longer carries return-only reasons.
      for (const r of ['not_sold_here', 'other_store', 'not_in_sale', 'window_passed'])
        expect(reasonText[locale]).not.toHaveProperty(r);
    }
  });

  it('one Chinese word for the manager role (经理), and no English role id inside Chinese text', () => {
    const supervisor = zhStrings.filter((s) => s.text.includes('主管'));
    expect(supervisor.map((s) => s.where)).toEqual([]);
    expect(checkoutMessages['zh-CN'].manager).toBe('经理工号');
    const latinRoles = zhStrings.filter((s) => /\b(kiosk|cashier|manager|supervisor)\b/i.test(s.text));
    expect(latinRoles.map((s) => s.where)).toEqual([]);
    const t = translator(signInMessages, 'zh-CN');
    expect(t('role', { role: roleNames['zh-CN'].cashier })).toBe('需要收银员权限');
    expect(t('role', { role: roleNames['zh-CN'].manager })).toBe('需要经理权限');
  });

  it('Chinese text has no typed spaces next to Han characters (the page adds the gap: text-autospace)', () => {
    const spaced = zhStrings.filter((s) => new RegExp(`${HAN} | ${HAN}`).test(s.text));
    expect(spaced.map((s) => `${s.where}: ${s.text}`)).toEqual([]);
    const t = translator(kioskMessages, 'zh-CN');
    expect(t('soldElsewhere', { at: '2026年11月20日', store: 'S0042 上海徐汇店' })).toBe(
      '已于2026年11月20日在门店S0042 上海徐汇店售出',
    );
  });

  it('a report reference is a reference, not a bare number', () => {
    expect(reportReference(1)).toBe('R-000001');
    expect(reportReference(123456)).toBe('R-123456');
    expect(translator(kioskMessages, 'en')('reported', { ref: reportReference(1) })).toBe(
      'Reported — thank you. Reference R-000001',
    );
  });
});
