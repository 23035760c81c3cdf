import { describe, expect, it } from 'vitest';
import {
  alertFieldMessages,
  alertKindMessages,
  jobKindMessages,
  jobStateMessages,
  linkMessages,
  recordTypeMessages,
  soldWhereMessages,
  verdictMessages,
} from '../../../kiosk-ui/src/manager/messages.js';
import { enumText } from '../../../kiosk-ui/src/manager/reasons.js';
import { LOCALES } from '../../../kiosk-ui/src/shell/i18n.js';
import type { ManagerOverview } from '../../../terminal/http/routes/manager-types.js';
import type { SoldContext } from '../../../terminal/ledger/payloads.js';
import { ALERT_KINDS, RECORD_TYPES } from '../../../terminal/ledger/types.js';
import { PRINT_JOB_KINDS, PRINT_JOB_STATES } from '../../../terminal/printing/queue-store.js';
import { VERDICT_KINDS } from '../../../terminal/verify/types.js';

// Unions that have no const array on the server side: listed here, and `tsc` fails when the
// server's union gains a value these lists lack (the `true` below stops type-checking).
type Link = NonNullable<ManagerOverview['upstream']>['link'];
const LINK_STATES = ['up', 'down'] as const satisfies readonly Link[];
const SOLD_WHERE = ['here', 'upstream'] as const satisfies readonly SoldContext['where'][];
const linksComplete: [Exclude<Link, (typeof LINK_STATES)[number]>] extends [never] ? true : false = true;
const soldWhereComplete: [Exclude<SoldContext['where'], (typeof SOLD_WHERE)[number]>] extends [never]
  ? true
  : false = true;

const tables = [
  ['alert kinds', alertKindMessages, ALERT_KINDS],
  ['verdicts', verdictMessages, VERDICT_KINDS],
  ['ledger record types', recordTypeMessages, RECORD_TYPES],
  ['print job kinds', jobKindMessages, PRINT_JOB_KINDS],
  ['print job states', jobStateMessages, PRINT_JOB_STATES],
  ['upstream link states', linkMessages, LINK_STATES],
  ['where a clone was sold', soldWhereMessages, SOLD_WHERE],
] as const;

const CJK = /[\u4e00-\u9fff]/;

describe('manager page words for the fixed values the server sends', () => {
  it('the type-only unions are listed in full', () => {
    expect([linksComplete, soldWhereComplete]).toEqual([true, true]);
  });

  describe.each(tables)('%s', (_name, table, values) => {
    it.each(LOCALES)('%s has words for every value the server can send, and no others', (locale) => {
      expect(Object.keys(table[locale]).sort()).toEqual([...values].sort());
    });

    it('says them in words, not ids: Chinese on the zh-CN page, English without underscores', () => {
      const zh: Record<string, string> = table['zh-CN'];
      const en: Record<string, string> = table.en;
      for (const value of values) {
        expect({ value, zh: zh[value] }).toEqual({ value, zh: expect.stringMatching(CJK) });
        expect({ value, en: en[value] }).toEqual({ value, en: expect.not.stringMatching(/_/) });
        expect(enumText(table, 'zh-CN', value)).toBe(zh[value]);
      }
    });
  });

  it('words the alert kinds and print job states as a manager reads them', () => {
    expect(enumText(alertKindMessages, 'en', 'suspicious_report')).toBe('Suspicious report');
    expect(enumText(alertKindMessages, 'zh-CN', 'suspicious_report')).toBe('可疑商品举报');
    expect(enumText(jobStateMessages, 'zh-CN', 'pending')).toBe('排队中');
    expect(enumText(jobStateMessages, 'en', 'done')).toBe('Printed');
    expect(enumText(linkMessages, 'zh-CN', 'down')).toBe('未连接');
  });

  it('shows a value it does not know (a newer terminal) as it came', () => {
    expect(enumText(alertKindMessages, 'zh-CN', 'tamper_seal')).toBe('tamper_seal');
    expect(enumText(jobKindMessages, 'en', 'test')).toBe('test');
    // Not an inherited property of the table either.
    expect(enumText(verdictMessages, 'en', 'constructor')).toBe('constructor');
    expect(enumText(verdictMessages, 'zh-CN', '__proto__')).toBe('__proto__');
  });

  it('labels the alert payload fields in both languages', () => {
    expect(Object.keys(alertFieldMessages['zh-CN']).sort()).toEqual(
      Object.keys(alertFieldMessages.en).sort(),
    );
    for (const label of Object.values(alertFieldMessages['zh-CN'])) expect(label).toMatch(CJK);
  });
});
