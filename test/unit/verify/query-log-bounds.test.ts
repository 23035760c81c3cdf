import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import { silentLogger } from '../../../terminal/logger.js';
import { QueryLog } from '../../../terminal/verify/query-log.js';
import { QueryLogMaintenance } from '../../../terminal/verify/query-log-maintenance.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const DAY = 86_400_000;

function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

describe('query log bounds', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let file: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    tmp = makeTempDir();
    file = join(tmp.dir, 'terminal.db');
    db = openDatabase(file, { synchronous: 'NORMAL' });
    // As the composition root does: no automatic checkpoint on the scan path.
    db.pragma('wal_autocheckpoint = 0');
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  it('a 20,000-check flood of distinct codes ends bounded: rows capped, counters capped, WAL truncated', async () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const log = new QueryLog(db, { file });
    const maintenance = new QueryLogMaintenance({
      db,
      bounds: { checkRetentionDays: 90, maxChecks: 5_000, maxCodeStats: 3_000 },
      logger: silentLogger(),
      now: () => now,
    });
    for (let i = 0; i < 20_000; i++) {
      log.record({
        key: `6901234${String(i).padStart(13, '0')}`,
        verdict: 'unknown',
        reason: 'not_in_registry',
        source: 'wedge',
        checkedAt: new Date(now - 20_000 + i).toISOString(),
      });
    }
    expect(walBytes(file)).toBeGreaterThan(20 * 1_048_576); // what the issue saw, before maintenance
    // One run prunes at most 40 batches; a few runs bring everything under the bounds.
    let result = await maintenance.run();
    while (result.deletedChecks + result.deletedCodes > 0) result = await maintenance.run();
    expect(result.checkpoint).toBe('truncated');
    expect(count('verify_checks')).toBe(5_000);
    expect(count('verify_code_stats')).toBe(3_000);
    // The newest survive: the most recent checks and the most recently checked codes.
    expect(log.recent(1)[0]!.key).toBe(`6901234${String(19_999).padStart(13, '0')}`);
    expect(log.history(`6901234${String(19_999).padStart(13, '0')}`).checksHere).toBe(1);
    expect(log.history(`6901234${String(0).padStart(13, '0')}`).checksHere).toBe(0);
    expect(walBytes(file)).toBe(0);
    await maintenance.stop();
  });

  it('deletes checks past the retention period and reports of deleted checks', async () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const log = new QueryLog(db, { file });
    const old = log.record({
      key: 'k-old',
      verdict: 'genuine',
      reason: 'ok',
      source: 'api',
      checkedAt: new Date(now - 91 * DAY).toISOString(),
    });
    log.saveReport(old, 'R1', 1, new Date(now).toISOString());
    log.record({
      key: 'k-new',
      verdict: 'genuine',
      reason: 'ok',
      source: 'api',
      checkedAt: new Date(now).toISOString(),
    });
    const maintenance = new QueryLogMaintenance({
      db,
      bounds: { checkRetentionDays: 90, maxChecks: 1_000, maxCodeStats: 1_000 },
      logger: silentLogger(),
      now: () => now,
    });
    expect((await maintenance.run()).deletedChecks).toBe(1);
    expect(log.get(old)).toBeUndefined();
    expect(log.reportOf(old)).toBeUndefined();
    expect(log.recent(5).map((c) => c.key)).toEqual(['k-new']);
    now += DAY;
    expect((await maintenance.run()).deletedChecks).toBe(0);
  });

  it('asks for maintenance after every N checks, after the check is answered', async () => {
    let runs = 0;
    const log = new QueryLog(db, { onRecorded: { everyChecks: 3, run: () => runs++ } });
    for (let i = 0; i < 7; i++)
      log.record({
        key: `k${i}`,
        verdict: 'unknown',
        reason: 'x',
        source: 'api',
        checkedAt: '2026-12-01T00:00:00Z',
      });
    expect(runs).toBe(0); // not on the scan path
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
  });

  it('a checkpoint does not wait for another connection holding the write lock', async () => {
    const other = openDatabase(file);
    try {
      const log = new QueryLog(db);
      log.record({
        key: 'k',
        verdict: 'unknown',
        reason: 'x',
        source: 'api',
        checkedAt: '2026-12-01T00:00:00Z',
      });
      const maintenance = new QueryLogMaintenance({
        db,
        bounds: { checkRetentionDays: 90, maxChecks: 1_000, maxCodeStats: 1_000 },
        logger: silentLogger(),
      });
      other.exec('BEGIN IMMEDIATE');
      expect((await maintenance.run()).checkpoint).toBe('busy');
      other.exec('COMMIT');
      expect((await maintenance.run()).checkpoint).toBe('truncated');
      // The connection's own busy timeout is back for its other statements.
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      other.close();
    }
  });
});
