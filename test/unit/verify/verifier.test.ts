import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import { QueryLog } from '../../../terminal/verify/query-log.js';
import { Verifier } from '../../../terminal/verify/verifier.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import {
  FakeLedgerView,
  FakeRegistry,
  parse,
  productKeyOf,
  SAMPLE,
} from '../../integration/kiosk/fixtures.js';

const CONFIG = {
  maxRegistryAgeMs: 6 * 3_600_000,
  expiredPolicy: 'block',
  unverifiablePolicy: 'block',
  timeZone: 'UTC',
} as const;

describe('Verifier', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let db: SqliteDatabase;
  let clock: Date;
  let verifier: Verifier;
  let log: QueryLog;

  beforeEach(() => {
    tmp = makeTempDir();
    db = openDatabase(join(tmp.dir, 'terminal.db'));
    log = new QueryLog(db);
    clock = new Date('2026-11-28T06:00:00.000Z');
    verifier = new Verifier({
      parse: parse,
      productKeyOf: productKeyOf,
      registry: new FakeRegistry(clock),
      ledger: new FakeLedgerView(),
      queryLog: log,
      clock: () => clock,
      config: CONFIG,
    });
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('records every check and reports the history before this one, plus upstream figures', () => {
    const first = verifier.verify(SAMPLE.genuine, { source: 'kiosk', deviceId: 'sim:1' });
    expect(first.verdict).toBe('genuine');
    expect(first.history).toEqual({ checksHere: 0, upstreamChecks: 3 });
    clock = new Date('2026-11-28T07:00:00.000Z');
    verifier.verify(SAMPLE.genuine);
    clock = new Date('2026-11-28T07:30:00.000Z');
    const third = verifier.verify(SAMPLE.genuine);
    expect(third.history).toEqual({
      checksHere: 2,
      firstCheckedAt: '2026-11-28T06:00:00.000Z',
      lastCheckedAt: '2026-11-28T07:00:00.000Z',
      upstreamChecks: 3,
    });
    expect(third.checkId).toBeGreaterThan(first.checkId);
    expect(log.recent(1)[0]).toMatchObject({ key: SAMPLE.genuine, verdict: 'genuine', source: 'api' });
  });

  it('verifyMany gives each scan the verdict verify gives, reading local write-offs once', () => {
    const view = new FakeLedgerView();
    const reads = { one: 0, many: 0 };
    const basket = new Verifier({
      parse,
      productKeyOf,
      registry: new FakeRegistry(clock),
      ledger: {
        writeOffOf: (key) => {
          reads.one++;
          return view.writeOffOf(key);
        },
        writeOffsOf: (keys) => {
          reads.many++;
          return new Map(keys.flatMap((k) => (view.writeOffs.has(k) ? [[k, view.writeOffs.get(k)!]] : [])));
        },
      },
      queryLog: log,
      clock: () => clock,
      config: CONFIG,
    });
    const scans = Object.values(SAMPLE);
    const many = basket.verifyMany(scans, { record: false });
    expect(reads).toEqual({ one: 0, many: 1 });
    const each = scans.map((scan) => verifier.verify(scan, { record: false }));
    expect(many).toEqual(each);
    expect(many.map((v) => v.verdict)).toContain('already_sold');
  });

  it('verifyMany judges a whole basket at one moment: one time, one registry freshness', () => {
    const scans = [SAMPLE.genuine, SAMPLE.recalled, SAMPLE.unknown];
    const fresh = verifier.verifyMany(scans, { record: false });
    expect(fresh.map((v) => v.verdict)).toEqual(['genuine', 'recalled', 'unknown']);
    expect(new Set(fresh.map((v) => v.checkedAt))).toEqual(new Set([clock.toISOString()]));
    // 6 h after the registry was built it is stale: positive answers become unverifiable, a recall stays.
    clock = new Date(clock.getTime() + 6 * 3_600_000);
    const stale = verifier.verifyMany(scans, { record: false });
    expect(stale.map((v) => [v.verdict, v.reason])).toEqual([
      ['unverifiable', 'registry_stale'],
      ['recalled', 'batch_recalled'],
      ['unverifiable', 'registry_stale'],
    ]);
    expect(stale).toEqual(scans.map((scan) => verifier.verify(scan, { record: false })));
    expect(stale.every((v) => v.checkedAt === clock.toISOString())).toBe(true);
  });

  it('reads the registry for a whole basket inside one registry snapshot when it offers one', () => {
    const registry = new FakeRegistry(clock);
    let snapshots = 0;
    let outside = 0;
    let depth = 0;
    const counted = Object.assign(Object.create(registry), {
      reading<T>(fn: () => T): T {
        snapshots++;
        depth++;
        try {
          return fn();
        } finally {
          depth--;
        }
      },
      lookup(key: string) {
        if (depth === 0) outside++;
        return registry.lookup(key);
      },
    });
    const basket = new Verifier({
      parse,
      productKeyOf,
      registry: counted,
      ledger: new FakeLedgerView(),
      queryLog: log,
      clock: () => clock,
      config: CONFIG,
    });
    basket.verifyMany([SAMPLE.genuine, SAMPLE.recalled, SAMPLE.soldHere], { record: false });
    expect({ snapshots, outside }).toEqual({ snapshots: 1, outside: 0 });
  });

  it('history:false skips the query log read; the verdict is the same', () => {
    verifier.verify(SAMPLE.genuine);
    const withHistory = verifier.verify(SAMPLE.genuine, { record: false });
    const without = verifier.verify(SAMPLE.genuine, { record: false, history: false });
    expect(withHistory.history.checksHere).toBe(1);
    expect(without.history).toEqual({ checksHere: 0, upstreamChecks: 3 });
    expect({ ...without, history: undefined }).toEqual({ ...withHistory, history: undefined });
  });

  it('record:false checks leave no trace; malformed scans are logged without a key', () => {
    verifier.verify(SAMPLE.genuine, { record: false });
    expect(log.history(SAMPLE.genuine).checksHere).toBe(0);
    const bad = verifier.verify(SAMPLE.malformed, { source: 'wedge' });
    expect(bad.verdict).toBe('malformed');
    expect(log.recent(5)).toHaveLength(1);
    expect(log.recent(1)[0]).toMatchObject({ verdict: 'malformed', source: 'wedge' });
    expect(log.recent(1)[0]!.key).toBeUndefined();
    expect(log.perHour('2026-11-28T00')).toEqual([{ hour: '2026-11-28T06', verdict: 'malformed', n: 1 }]);
  });

  it('uses the local ledger for already_sold here and the product key for unknown units', () => {
    expect(verifier.verify(SAMPLE.soldHere).verdict).toBe('already_sold');
    const unknown = verifier.verify(SAMPLE.unknown);
    expect(unknown.verdict).toBe('unknown');
    expect(unknown.product?.key).toBe('6901234');
  });

  it('the history survives reopening the database (query log is on disk)', () => {
    verifier.verify(SAMPLE.stolen);
    db.close();
    db = openDatabase(join(tmp.dir, 'terminal.db'));
    expect(new QueryLog(db).history(SAMPLE.stolen).checksHere).toBe(1);
  });
});
