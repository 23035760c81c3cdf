import { afterEach, describe, expect, it } from 'vitest';
import { FakePrinter } from '../../../drivers/printer/fake-printer.js';
import { validateConfig } from '../../../terminal/config/load-config.js';
import { reportRegistry, watchPrinter } from '../../../terminal/health/feeders.js';
import { type HealthEntry, HealthModel } from '../../../terminal/health/health-model.js';
import { FakeRegistry } from './fixtures.js';

describe('HealthModel', () => {
  it('stamps since on level changes only, emits only visible changes, and reports the worst level', () => {
    let now = new Date('2026-11-28T10:00:00.000Z');
    const model = new HealthModel({ clock: () => now });
    const changes: HealthEntry[] = [];
    model.on('change', (e) => changes.push(e));
    model.report('printer:p', { level: 'ok', code: 'printer.ready', reason: 'Ready' });
    now = new Date('2026-11-28T10:01:00.000Z');
    model.report('printer:p', { level: 'ok', code: 'printer.ready', reason: 'Ready' });
    expect(changes).toHaveLength(1);
    model.report('printer:p', { level: 'warn', code: 'printer.paper_low', reason: 'Paper running low' });
    now = new Date('2026-11-28T10:05:00.000Z');
    model.report('printer:p', {
      level: 'warn',
      code: 'printer.paper_low',
      reason: 'Paper running low',
      details: { pct: 5 },
    });
    expect(changes).toHaveLength(3);
    expect(model.get('printer:p')).toMatchObject({
      since: '2026-11-28T10:01:00.000Z',
      updatedAt: '2026-11-28T10:05:00.000Z',
    });
    model.report('registry', {
      level: 'fail',
      code: 'registry.stale',
      params: { version: 1, hours: 30 },
      reason: 'Registry too old',
    });
    expect(model.snapshot().level).toBe('fail');
    model.remove('registry');
    expect(model.snapshot()).toMatchObject({ level: 'warn', items: [{ component: 'printer:p' }] });
  });

  it('registry age: ok, warn past half the allowed age, fail when stale, fail when none', () => {
    const model = new HealthModel();
    const now = new Date();
    const registry = new FakeRegistry(now);
    reportRegistry(registry, model, 10 * 60_000, now);
    expect(model.get('registry')?.level).toBe('ok');
    reportRegistry(registry, model, 90_000, now);
    expect(model.get('registry')?.level).toBe('warn');
    reportRegistry(registry, model, 30_000, now);
    expect(model.get('registry')).toMatchObject({
      level: 'fail',
      reason: expect.stringContaining('too old'),
    });
    registry.registryState = undefined;
    reportRegistry(registry, model, 30_000, now);
    expect(model.get('registry')?.reason).toMatch(/No registry/);
  });

  describe('printer feed', () => {
    let printer: FakePrinter | undefined;
    afterEach(async () => printer?.stop());

    it('paper out on the simulated printer turns its item red, and back when fixed', async () => {
      printer = new FakePrinter('p1', { pollIntervalMs: 20 });
      const model = new HealthModel();
      watchPrinter(printer, model);
      const levelBecomes = (level: string, reason: RegExp) =>
        new Promise<void>((resolve) => {
          const check = (e: HealthEntry) => {
            if (e.component === 'printer:p1' && e.level === level && reason.test(e.reason)) {
              model.off('change', check);
              resolve();
            }
          };
          model.on('change', check);
        });
      const ok = levelBecomes('ok', /Ready/);
      await printer.start();
      await ok;
      const out = levelBecomes('fail', /Paper out/);
      printer.setState({ paperOut: true });
      await out;
      const back = levelBecomes('ok', /Ready/);
      printer.setState({ paperOut: false });
      await back;
    });
  });
});

describe('config', () => {
  it('{} is a complete config; env PORT and VERITERM_DATA override the file', () => {
    const r = validateConfig({ http: { port: 1234 } }, { PORT: '9000', VERITERM_DATA: '/srv/vt' });
    expect(r.ok && r.config.http.port).toBe(9000);
    expect(r.ok && r.config.dataDir).toBe('/srv/vt');
    const d = validateConfig({});
    expect(d.ok && d.config.kiosk).toMatchObject({
      defaultLocale: 'zh-CN',
      hotline: '12315',
      wedge: { maxGapMs: 35 },
    });
    expect(d.ok && d.config.verify.maxRegistryAgeMs).toBe(72 * 3_600_000);
  });

  it('a bad env value is named as coming from the env', () => {
    const r = validateConfig({}, { PORT: 'eighty' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]).toMatchObject({ path: 'http.port (from env PORT)', value: '"eighty"' });
  });

  it('validates time zones and scrypt hash shapes', () => {
    const r = validateConfig({
      terminal: { timeZone: 'Mars/Olympus' },
      auth: { tokens: [{ name: 't', role: 'kiosk', sha256: 'abc' }] },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['terminal.timeZone', 'auth.tokens[0].sha256']);
  });
});
