import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointRegistry,
  importRelease,
  pinRoot,
  RegistryStore,
} from '../../../terminal/registry/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { type Authority, delta, makeAuthority, makeUnits, snapshot } from './fixtures.js';

describe('registry import (snapshot, delta, lookup)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let a: Authority;
  let store: RegistryStore;

  beforeEach(() => {
    tmp = makeTempDir();
    a = makeAuthority();
    store = RegistryStore.open(join(tmp.dir, 'registry.db'));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('buildDelta with commit leaves the base as an import of that delta does; a refused build leaves it as it was', async () => {
    const units = makeUnits(12);
    const files = await snapshot(tmp.dir, a, 1, units);
    const kiosk = RegistryStore.open(join(tmp.dir, 'kiosk.db'));
    for (const s of [store, kiosk])
      expect((await importRelease(s, files.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    const soldAt = { store: 'S1', at: '2026-12-07T12:00:00.000Z' };
    const sold = units.slice(0, 4).map((u) => ({ ...u, status: 'sold' as const, soldAt }));
    const d = await delta(
      tmp.dir,
      a,
      { base: store, upsert: { units: sold }, delete: { units: [units[5]!.key] }, commit: true },
      'delta-2',
    );
    expect(await importRelease(kiosk, d.manifestFile)).toMatchObject({ ok: true, applied: true });
    const row = (s: RegistryStore) =>
      s.db
        .prepare(
          'SELECT scope, version, created, expires, content_hash, products, batches, units, manifest FROM registry_state',
        )
        .get();
    expect(store.state()).toEqual(kiosk.state());
    expect(store.state()).toMatchObject({
      version: 2,
      units: 11,
      contentHash: d.manifest.signed.content.hash,
    });
    expect(row(store)).toEqual(row(kiosk));
    expect(units.map((u) => store.lookup(u.key).unit)).toEqual(units.map((u) => kiosk.lookup(u.key).unit));
    // A delete of a unit the registry lacks is refused mid-build: nothing of it is kept.
    await expect(
      delta(
        tmp.dir,
        a,
        {
          base: store,
          upsert: { units: [{ ...units[6]!, status: 'sold', soldAt }] },
          delete: { units: ['69012349999999991234'] },
          commit: true,
        },
        'delta-3',
      ),
    ).rejects.toThrow(/not in the registry/);
    expect(store.state()).toEqual(kiosk.state());
    expect(store.lookup(units[6]!.key).unit?.status).toBe('active');
    kiosk.close();
  });

  it('reading() answers several lookups from one snapshot, as lookups one by one do', async () => {
    const units = makeUnits(12);
    const files = await snapshot(tmp.dir, a, 1, units);
    expect((await importRelease(store, files.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    const keys = units.map((u) => u.key);
    const alone = keys.map((k) => store.lookup(k));
    let inside = false;
    const together = store.reading(() => {
      inside = store.db.inTransaction;
      return { results: keys.map((k) => store.lookup(k)), state: store.state() };
    });
    expect(inside).toBe(true);
    expect(store.db.inTransaction).toBe(false);
    expect(together.results).toEqual(alone);
    expect(together.state).toEqual(store.state());
    // Nested: runs in the outer transaction.
    expect(store.reading(() => store.reading(() => store.lookup(keys[0]!)))).toEqual(alone[0]);
  });

  it('installs a snapshot and answers lookups with unit, product and batch', async () => {
    const units = makeUnits(40);
    units[2] = {
      ...units[2]!,
      status: 'sold',
      soldAt: { store: 'S0042', at: '2026-11-20T09:30:00.000Z' },
      upstreamChecks: 4,
    };
    const files = await snapshot(tmp.dir, a, 1, units);
    const result = await importRelease(store, files.manifestFile, { pinnedRoot: a.root });
    expect(result).toMatchObject({
      ok: true,
      applied: true,
      kind: 'snapshot',
      state: { scope: 'test', version: 1, units: 40 },
    });

    const cn = store.lookup(units[0]!.key);
    expect(cn.unit).toEqual({
      key: units[0]!.key,
      status: 'active',
      productKey: '6901234',
      batchNumber: 'B1',
    });
    expect(cn.product?.names).toEqual({ 'zh-CN': '感冒灵颗粒', en: 'Cold Relief Granules' });
    expect(cn.batch).toMatchObject({ number: 'B1', expiryDate: '2099-01-01', recalled: false });

    const numeric = store.lookup(units[1]!.key);
    expect(numeric.unit?.productKey).toBe('0109506000134352');
    expect(numeric.batch).toMatchObject({
      number: 'L\\1\t',
      recalled: true,
      recallReason: 'tab\tand\\slash',
    });
    const alnum = store.lookup(units[3]!.key);
    expect(alnum.unit?.key).toBe(units[3]!.key);

    expect(store.lookup(units[2]!.key).unit).toMatchObject({
      status: 'sold',
      soldAt: { store: 'S0042', at: '2026-11-20T09:30:00.000Z' },
      upstreamChecks: 4,
    });
    // A well-formed code of a covered product that is not registered: product, no unit.
    const unknown = store.lookup('69012349999999999999');
    expect(unknown.unit).toBeUndefined();
    expect(unknown.product?.key).toBe('6901234');
    // GTIN-only key: product lookup.
    expect(store.lookup('0109506000134352')).toEqual({ product: store.lookupProduct('0109506000134352') });
    expect(store.lookup('not a key')).toEqual({});
    expect(store.state()).toMatchObject({
      version: 1,
      units: 40,
      contentHash: files.manifest.signed.content.hash,
    });
  });

  it('applies a delta (upsert, delete, new product data) and recomputes the content hash', async () => {
    const units = makeUnits(20);
    const files = await snapshot(tmp.dir, a, 1, units);
    expect((await importRelease(store, files.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    const d = await delta(
      tmp.dir,
      a,
      {
        base: store,
        upsert: {
          products: [
            {
              key: '6901234',
              names: { 'zh-CN': '感冒灵', en: 'Cold Relief' },
              manufacturer: 'X',
              covered: true,
              withdrawn: true,
            },
          ],
          units: [
            { ...units[0]!, status: 'sold', soldAt: { store: 'S2', at: '2026-11-27T10:00:00.000Z' } },
            { key: '69012340000009999001', status: 'active', productKey: '6901234' },
          ],
        },
        delete: { units: [units[1]!.key] },
      },
      'd2',
    );
    expect(d.manifest.signed).toMatchObject({
      kind: 'delta',
      version: 2,
      baseVersion: 1,
      content: { units: 20 },
    });
    const result = await importRelease(store, d.manifestFile);
    expect(result).toMatchObject({
      ok: true,
      applied: true,
      state: { version: 2, units: 20 },
      previous: { version: 1 },
    });
    expect(store.lookup(units[0]!.key).unit).toMatchObject({ status: 'sold', soldAt: { store: 'S2' } });
    expect(store.lookup(units[0]!.key).product).toMatchObject({
      withdrawn: true,
      names: { en: 'Cold Relief' },
    });
    expect(store.lookup(units[1]!.key).unit).toBeUndefined();
    expect(store.lookup('69012340000009999001').unit?.status).toBe('active');
    // The same content built as a full snapshot has the same content hash as the delta result.
    const full = makeUnits(20).filter((u) => u.key !== units[1]!.key);
    full[0] = { ...full[0]!, status: 'sold', soldAt: { store: 'S2', at: '2026-11-27T10:00:00.000Z' } };
    full.push({ key: '69012340000009999001', status: 'active', productKey: '6901234' });
    const { products, batches } = await import('./fixtures.js');
    const { buildSnapshot } = await import('../../../terminal/registry/index.js');
    const same = await buildSnapshot(
      {
        scope: 'test',
        version: 3,
        expires: new Date(Date.now() + 86_400_000).toISOString(),
        products: [
          {
            ...products[0]!,
            names: { 'zh-CN': '感冒灵', en: 'Cold Relief' },
            manufacturer: 'X',
            withdrawn: true,
            spec: undefined,
          } as never,
          products[1]!,
        ],
        batches,
        units: full,
      },
      [a.releaseKey],
      join(tmp.dir, 'same.manifest.json'),
    );
    expect(same.manifest.signed.content.hash).toBe(store.state()?.contentHash);
  });

  it('re-importing the installed version is a no-op, and pinning is stored with the data', async () => {
    const files = await snapshot(tmp.dir, a, 1, makeUnits(4));
    expect(pinRoot(store, a.root, { scope: 'test' })).toEqual({ ok: true, rootVersion: 1, changed: true });
    expect((await importRelease(store, files.manifestFile)).ok).toBe(true);
    expect(await importRelease(store, files.manifestFile)).toMatchObject({ ok: true, applied: false });
    expect(store.trustedRoot()?.signed.version).toBe(1);
  });

  it('a reader sees the old or the new registry while an import runs, never a mix', async () => {
    const n = 3000;
    const v1 = await snapshot(tmp.dir, a, 1, makeUnits(n, 'active'));
    expect((await importRelease(store, v1.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(n, 'locked'));
    const keys = makeUnits(n).map((u) => u.key);
    const seen = new Set<string>();
    let done = false;
    const importing = importRelease(store, v2.manifestFile).finally(() => {
      done = true;
    });
    let i = 0;
    while (!done) {
      const version = store.state()?.version;
      const statuses = new Set([0, n / 2, n - 1].map((k) => store.lookup(keys[(k + i) % n]!).unit?.status));
      expect(statuses.size).toBe(1);
      const status = [...statuses][0];
      seen.add(`${version}:${status}`);
      i++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await importing).ok).toBe(true);
    expect(store.lookup(keys[7]!).unit?.status).toBe('locked');
    // Reads in one synchronous turn share one snapshot: version and statuses always agree.
    for (const s of seen) expect(['1:active', '2:locked']).toContain(s);
    expect(seen.has('1:active')).toBe(true);
  });

  it("with checkpoint 'none' the new version is visible at commit and the WAL is folded in later", async () => {
    const files = await snapshot(tmp.dir, a, 1, makeUnits(2000));
    const result = await importRelease(store, files.manifestFile, { pinnedRoot: a.root, checkpoint: 'none' });
    expect(result.ok).toBe(true);
    expect(store.state()?.version).toBe(1);
    const wal = join(tmp.dir, 'registry.db-wal');
    expect(statSync(wal).size).toBeGreaterThan(0);
    checkpointRegistry(store);
    expect(statSync(wal).size).toBe(0);
    expect(store.lookup(makeUnits(2000)[1999]!.key).unit?.status).toBe('active');
  });
});
