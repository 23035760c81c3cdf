import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { upstreamFromHealth } from '../../../terminal/health/operations.js';
import { ClockSkewProbe, RecentErrors, reportStorage } from '../../../terminal/health/probes.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('health probes', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('reports database size and free disk, WARN/FAIL by free space', () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.cleanup);
    const db = join(tmp.dir, 'terminal.db');
    writeFileSync(db, Buffer.alloc(4096));
    writeFileSync(`${db}-wal`, Buffer.alloc(1024));
    const health = new HealthModel();
    reportStorage(health, { dbFiles: [db], dataDir: tmp.dir, warnFreeBytes: 1, failFreeBytes: 0 });
    const ok = health.get('storage')!;
    expect(ok.level).toBe('ok');
    expect(ok.details?.dbBytes).toBe(5120);
    expect(ok.details?.freeBytes).toBeGreaterThan(0);
    reportStorage(health, {
      dbFiles: [db],
      dataDir: tmp.dir,
      warnFreeBytes: Number.MAX_SAFE_INTEGER,
      failFreeBytes: 0,
    });
    expect(health.get('storage')?.level).toBe('warn');
    reportStorage(health, {
      dbFiles: [db],
      dataDir: tmp.dir,
      warnFreeBytes: Number.MAX_SAFE_INTEGER,
      failFreeBytes: Number.MAX_SAFE_INTEGER,
    });
    expect(health.get('storage')?.reason).toMatch(/^Disk almost full/);
  });

  it('measures clock skew against upstream timestamps', () => {
    const health = new HealthModel();
    let now = Date.parse('2026-11-28T08:00:00Z');
    const probe = new ClockSkewProbe(health, { now: () => now });
    probe.report();
    expect(health.get('clock')?.reason).toBe('Clock not yet compared with upstream');
    probe.observe('2026-11-28T07:59:58Z');
    expect(health.get('clock')).toMatchObject({ level: 'ok', details: { skewMs: 2000 } });
    probe.observe('2026-11-28T07:58:00Z');
    expect(health.get('clock')).toMatchObject({ level: 'warn', reason: 'Clock ahead of upstream by 120 s' });
    now = Date.parse('2026-11-28T07:40:00Z');
    probe.observe('2026-11-28T08:00:00Z');
    expect(health.get('clock')).toMatchObject({ level: 'fail', reason: 'Clock behind upstream by 1200 s' });
    probe.observe('not a time');
    expect(probe.skewMs).toBe(-1_200_000);
  });

  it('takes at most one clock sample per minSampleIntervalMs', () => {
    const health = new HealthModel();
    let now = Date.parse('2026-11-28T08:00:00Z');
    const probe = new ClockSkewProbe(health, { now: () => now, minSampleIntervalMs: 10_000 });
    probe.observe('2026-11-28T07:59:58Z');
    now += 5_000;
    probe.observe('2026-11-28T07:50:00Z');
    expect(probe.skewMs).toBe(2000);
    now += 5_000;
    probe.observe('2026-11-28T08:00:09Z');
    expect(probe.skewMs).toBe(1000);
  });

  it('keeps the last errors and warns while one is recent', () => {
    const health = new HealthModel();
    let now = 0;
    const errors = new RecentErrors(health, { keep: 2, windowMs: 1000, now: () => now });
    errors.report();
    expect(health.get('errors')?.level).toBe('ok');
    errors.add('printer', 'write timed out');
    errors.add('sync', 'record 7 refused');
    errors.add('sync', 'record 8 refused');
    expect(errors.list().map((e) => e.message)).toEqual(['record 8 refused', 'record 7 refused']);
    expect(health.get('errors')).toMatchObject({ level: 'warn', reason: 'sync: record 8 refused' });
    now = 5000;
    errors.report();
    expect(health.get('errors')?.level).toBe('ok');
  });

  it('reads the upstream link from the health item sync reports', () => {
    const health = new HealthModel();
    expect(upstreamFromHealth(health)).toBeUndefined();
    health.report('upstream', {
      level: 'warn',
      code: 'upstream.offline',
      params: { backlog: 4 },
      reason: 'No link to upstream; 4 records waiting',
      details: { link: 'down', backlog: 4, oldestPendingAt: '2026-11-28T07:00:00.000Z', bytesSent: 10 },
    });
    expect(upstreamFromHealth(health)).toEqual({
      link: 'down',
      backlog: 4,
      oldestPendingAt: '2026-11-28T07:00:00.000Z',
      bytesSent: 10,
    });
  });
});
