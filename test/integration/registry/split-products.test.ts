import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSnapshot, importRelease, RegistryStore } from '../../../terminal/registry/index.js';
import type { RegistryProduct } from '../../../terminal/registry/types.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import {
  type Authority,
  batches,
  delta,
  future,
  makeAuthority,
  makeUnits,
  products,
  snapshot,
} from './fixtures.js';

/** Split packs (拆零) in the signed registry: a product's `split` travels in snapshots and deltas. */
describe('registry: splittable products', () => {
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

  const splittable: RegistryProduct = {
    key: '6907777',
    names: { 'zh-CN': '阿莫西林胶囊', en: 'Amoxicillin capsules' },
    manufacturer: 'Acme',
    covered: true,
    split: { packQuantity: 10, unit: 'strip' },
  };

  function build(version: number, list: RegistryProduct[], name: string) {
    return buildSnapshot(
      { scope: 'test', version, expires: future(), products: list, batches, units: makeUnits(4) },
      [a.releaseKey],
      join(tmp.dir, `${name}.manifest.json`),
    );
  }

  it('a signed snapshot carries split; products without it (and registries from before) read as whole packs', async () => {
    const files = await build(1, [...products, splittable], 'split');
    expect((await importRelease(store, files.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    expect(store.lookupProduct('6907777')?.split).toEqual({ packQuantity: 10, unit: 'strip' });
    expect(store.lookupProduct('6901234')).toBeDefined();
    expect(store.lookupProduct('6901234')?.split).toBeUndefined();
  });

  it('split is part of the signed content: the same registry without it has another content hash', async () => {
    const withSplit = await build(1, [...products, splittable], 'with');
    const { split: _split, ...plain } = splittable;
    const without = await build(1, [...products, plain], 'without');
    expect(withSplit.manifest.signed.content.hash).not.toBe(without.manifest.signed.content.hash);
  });

  it('a delta makes a product splittable, changes its pack and makes it whole again; the content hash follows', async () => {
    const files = await snapshot(tmp.dir, a, 1, makeUnits(4));
    expect((await importRelease(store, files.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    const split = { ...products[0]!, split: { packQuantity: 20, unit: 'tablet' } };
    const d2 = await delta(tmp.dir, a, { base: store, upsert: { products: [split] } }, 'd2');
    expect((await importRelease(store, d2.manifestFile)).ok).toBe(true);
    expect(store.lookupProduct('6901234')?.split).toEqual({ packQuantity: 20, unit: 'tablet' });
    const same = await buildSnapshot(
      {
        scope: 'test',
        version: 9,
        expires: future(),
        products: [split, products[1]!],
        batches,
        units: makeUnits(4),
      },
      [a.releaseKey],
      join(tmp.dir, 'same.manifest.json'),
    );
    expect(same.manifest.signed.content.hash).toBe(store.state()?.contentHash);
    const d3 = await delta(tmp.dir, a, { base: store, upsert: { products: [products[0]!] } }, 'd3');
    expect((await importRelease(store, d3.manifestFile)).ok).toBe(true);
    expect(store.lookupProduct('6901234')?.split).toBeUndefined();
  });

  it('refuses a release whose split field is malformed, naming it', async () => {
    const bad = await build(
      1,
      [...products, { ...splittable, split: { packQuantity: 1, unit: 'strip' } }],
      'bad',
    );
    const result = await importRelease(store, bad.manifestFile, { pinnedRoot: a.root });
    expect(result).toMatchObject({ ok: false, code: 'malformed' });
    expect(!result.ok && result.message).toContain('split must be packQuantity:unit');
    expect(store.state()).toBeUndefined();
  });
});
