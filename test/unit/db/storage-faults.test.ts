import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { asStorageFault, DiskFullError, isDiskFull } from '../../../terminal/db/storage-errors.js';
import { VeritermError } from '../../../terminal/errors.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { StorageMonitor } from '../../../terminal/health/storage-monitor.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('database faults at open', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  function faultOf(file: string): VeritermError {
    try {
      openDatabase(file).close();
    } catch (error) {
      expect(error).toBeInstanceOf(VeritermError);
      return error as VeritermError;
    }
    throw new Error(`expected ${file} to be refused`);
  }

  it('a file that is not a database is db_corrupt, naming the file and the remedy', () => {
    const file = join(tmp.dir, 'terminal.db');
    writeFileSync(file, 'this is not SQLite, just some bytes that came from a bad copy\n'.repeat(100));
    const fault = faultOf(file);
    expect(fault.code).toBe('db_corrupt');
    expect(fault.message).toContain(file);
    expect(fault.message).toMatch(/SQLITE_NOTADB/);
    expect(fault.message).toMatch(/restore it from a backup/);
  });

  it('a directory, or a missing folder, is db_unreadable saying which', () => {
    const dir = join(tmp.dir, 'terminal.db');
    mkdirSync(dir);
    const asDir = faultOf(dir);
    expect(asDir.code).toBe('db_unreadable');
    expect(asDir.message).toContain(`Cannot open ${dir}: it is a directory`);
    const missing = faultOf(join(tmp.dir, 'nope', 'terminal.db'));
    expect(missing.code).toBe('db_unreadable');
    expect(missing.message).toContain('its folder does not exist');
  });

  it('a good file opens, with the WAL size limit set', () => {
    const db = openDatabase(join(tmp.dir, 'ok.db'));
    expect(db.pragma('journal_size_limit', { simple: true })).toBe(4 * 1_048_576);
    db.close();
  });
});

describe('full disk', () => {
  it('is recognised in SQLite errors, worker answers, wrapped causes and ENOSPC', () => {
    expect(isDiskFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(
      true,
    );
    expect(isDiskFull(new VeritermError('ledger_write_failed', 'x', { cause: 'SQLITE_FULL' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isDiskFull(new VeritermError('x', 'y', { cause: new DiskFullError('/d/t.db') }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(false);
    const fault = asStorageFault(
      Object.assign(new Error('full'), { code: 'SQLITE_FULL' }),
      '/data/terminal.db',
    );
    expect(fault).toBeInstanceOf(DiskFullError);
    expect((fault as DiskFullError).message).toMatch(/^The disk holding \/data\/terminal\.db is full/);
  });

  it('latches the storage health item until the disk has room again', () => {
    const tmp = makeTempDir();
    try {
      const health = new HealthModel();
      // A threshold no real disk reaches: the latch must hold.
      const monitor = new StorageMonitor(health, {
        dbFiles: [join(tmp.dir, 'terminal.db')],
        dataDir: tmp.dir,
        failFreeBytes: Number.MAX_SAFE_INTEGER,
      });
      monitor.diskFull(new DiskFullError('/data/terminal.db'));
      expect(health.get('storage')).toMatchObject({
        level: 'fail',
        code: 'storage.disk_full',
        params: { file: '/data/terminal.db' },
        details: { reason: 'disk_full' },
      });
      monitor.refresh();
      expect(health.get('storage')?.code).toBe('storage.disk_full');
      expect(monitor.full).toBe(true);
      // Same disk, sane thresholds: there is room, so the latch clears on the next refresh.
      const relaxed = new StorageMonitor(health, {
        dbFiles: [],
        dataDir: tmp.dir,
        warnFreeBytes: 0,
        failFreeBytes: 0,
      });
      relaxed.diskFull(new DiskFullError('/data/terminal.db'));
      expect(relaxed.full).toBe(true);
      relaxed.refresh();
      expect(relaxed.full).toBe(false);
      expect(health.get('storage')).toMatchObject({ level: 'ok', code: 'storage.ok' });
    } finally {
      tmp.cleanup();
    }
  });
});
