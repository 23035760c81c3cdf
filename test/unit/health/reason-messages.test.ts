import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { PrinterStatus, ReceiptPrinter } from '../../../drivers/printer/types.js';
import { reasonMessages } from '../../../kiosk-ui/src/manager/messages.js';
import { reasonText } from '../../../kiosk-ui/src/manager/reasons.js';
import { formatDate, LOCALES } from '../../../kiosk-ui/src/shell/i18n.js';
import { reportRegistry, watchPrinter } from '../../../terminal/health/feeders.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { ClockSkewProbe, RecentErrors } from '../../../terminal/health/probes.js';
import { REASON_CODES, REASON_PARAMS } from '../../../terminal/health/reason-codes.js';
import type { HealthItem } from '../../../terminal/health/types.js';
import { printerHealth } from '../../../terminal/printing/printer-health.js';
import type { RegistryReader, RegistryState } from '../../../terminal/registry/types.js';

const slots = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** A printer with nothing to report; each case changes one field. */
const ready: PrinterStatus = {
  online: true,
  coverOpen: false,
  paperNearEnd: false,
  paperOut: false,
  error: false,
};

describe('health reason codes and the manager page templates', () => {
  it.each(LOCALES)('%s has a template for every code the terminal can report, and no others', (locale) => {
    expect(Object.keys(reasonMessages[locale]).sort()).toEqual([...REASON_CODES].sort());
  });

  it.each(LOCALES)('%s templates use exactly the parameters each code declares', (locale) => {
    for (const code of REASON_CODES) {
      expect({ code, slots: slots(reasonMessages[locale][code]) }).toEqual({
        code,
        slots: [...REASON_PARAMS[code]].sort(),
      });
    }
  });

  it('fills parameters in the page language', () => {
    const stale: HealthItem = {
      level: 'fail',
      code: 'registry.stale',
      params: { version: 7, hours: 30 },
      reason: 'Registry v7 is 30.0 h old (too old)',
    };
    expect(reasonText(stale, 'zh-CN')).toBe('注册库v7已过30.0小时（过旧）');
    expect(reasonText(stale, 'en')).toBe('Registry v7 is 30.0 h old (too old)');
    const disk: HealthItem = {
      level: 'warn',
      code: 'storage.low',
      params: { freeBytes: 300 * 1_048_576, dbBytes: 12.4 * 1_048_576 },
      reason: 'Disk space low: 300 MB free (database 12 MB)',
    };
    expect(reasonText(disk, 'zh-CN')).toBe('磁盘空间不足：剩余300 MB（数据库12 MB）');
    const expiresAt = '2026-11-30T12:00:00.000Z';
    const expired: HealthItem = {
      level: 'fail',
      code: 'registry.expired',
      params: { version: 3, expiresAt },
      reason: `Registry v3 expired at ${expiresAt}`,
    };
    expect(reasonText(expired, 'zh-CN')).toBe(`注册库v3已于${formatDate(expiresAt, 'zh-CN', true)}过期`);
    expect(reasonText(expired, 'zh-CN')).toContain('2026年');
    const error: HealthItem = {
      level: 'warn',
      code: 'errors.recent',
      params: { component: 'printer:receipt', message: 'cable cut' },
      reason: 'printer:receipt: cable cut',
    };
    expect(reasonText(error, 'zh-CN')).toBe('打印机receipt：cable cut');
  });

  it("falls back to the server's reason for an unknown code or a missing parameter", () => {
    expect(reasonText({ code: 'printer.on_fire', reason: 'Printer on fire' }, 'zh-CN')).toBe(
      'Printer on fire',
    );
    expect(reasonText({ code: 'upstream.offline', reason: 'No link to upstream' }, 'zh-CN')).toBe(
      'No link to upstream',
    );
  });

  it('the English templates say what the terminal says', () => {
    const health = new HealthModel();
    const items: HealthItem[] = [];
    health.on('change', (e) => items.push(e));
    const printer = Object.assign(new EventEmitter(), { id: 'receipt' }) as unknown as ReceiptPrinter;
    watchPrinter(printer, health);
    for (const s of [
      ready,
      { ...ready, paperOut: true },
      { ...ready, coverOpen: true },
      { ...ready, paperNearEnd: true },
      { ...ready, error: true },
      { ...ready, error: true, detail: 'cutter jam' },
      { ...ready, online: false },
      { ...ready, online: false, detail: 'no answer on 9100' },
    ]) {
      printer.emit('status', s);
    }
    const state: RegistryState = {
      scope: 'S-DEMO',
      version: 7,
      asOf: '2026-11-28T00:00:00.000Z',
      expires: '2026-12-28T00:00:00.000Z',
      units: 10,
      contentHash: 'x',
    };
    const registry = { state: () => state } as unknown as RegistryReader;
    const noRegistry = { state: () => undefined } as unknown as RegistryReader;
    const hour = 3_600_000;
    reportRegistry(noRegistry, health, 24 * hour, new Date('2026-11-28T01:00:00Z'));
    reportRegistry(registry, health, 24 * hour, new Date('2026-11-28T01:00:00Z'));
    reportRegistry(registry, health, 24 * hour, new Date('2026-11-28T15:00:00Z'));
    reportRegistry(registry, health, 24 * hour, new Date('2026-11-29T06:30:00Z'));
    reportRegistry(registry, health, 24 * hour, new Date('2026-12-28T06:30:00Z'));
    let now = Date.parse('2026-11-28T08:00:00Z');
    const clock = new ClockSkewProbe(health, { now: () => now });
    clock.report();
    for (const t of ['2026-11-28T07:59:58Z', '2026-11-28T07:58:00Z', '2026-11-28T08:20:00Z'])
      clock.observe(t);
    const errors = new RecentErrors(health, { now: () => now });
    errors.report();
    errors.add('upstream', 'record 4 refused');
    now += 3_600_000;
    errors.report();

    const codes = new Set(items.map((i) => i.code));
    expect(codes.size).toBeGreaterThanOrEqual(20);
    for (const item of items) {
      expect(REASON_CODES).toContain(item.code);
      expect(Object.keys(item.params ?? {}).sort()).toEqual([...REASON_PARAMS[item.code]].sort());
      // The page words "not checked yet" once for both printer feeders ("Waiting for first status"
      // here), shows a component by its tile title and a time as a date, where the server uses ids.
      if (item.code === 'printer.unchecked') continue;
      const expected =
        item.code === 'errors.recent'
          ? 'Upstream link: record 4 refused'
          : item.reason.replace(state.expires, formatDate(state.expires, 'en', true));
      expect(reasonText(item, 'en')).toBe(expected);
    }
  });

  it('the print queue tile reports a code with its parameters', () => {
    expect(printerHealth(ready, 2)).toMatchObject({ code: 'printer.printing', params: { waiting: 2 } });
    expect(reasonText(printerHealth(ready, 2), 'zh-CN')).toBe('正在打印（2张等待）');
    expect(printerHealth({ ...ready, paperOut: true }, 0)).toMatchObject({ code: 'printer.paper_out' });
    expect(printerHealth({ ...ready, online: false, detail: 'timeout' }, 0)).toMatchObject({
      code: 'printer.offline_detail',
      params: { detail: 'timeout' },
    });
    expect(printerHealth(undefined, 0).code).toBe('printer.unchecked');
  });
});
