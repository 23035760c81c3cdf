import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSnapshot, importRelease, RegistryStore } from '../../terminal/registry/index.js';
import { MemoryRegistry } from '../../terminal/registry/testing/memory-registry.js';
import type {
  RegistryBatch,
  RegistryProduct,
  RegistryReader,
  RegistryState,
  RegistryUnit,
} from '../../terminal/registry/types.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { batches, makeAuthority, makeUnits, products } from '../integration/registry/fixtures.js';

/**
 * One contract for every `RegistryReader` (terminal/registry/types.ts): the SQLite store a
 * terminal runs on, and the in-memory registry tests of verification and the lanes run on. Both
 * are given the same release; every lookup must answer alike, or a test on the fake would prove
 * something the terminal does not do.
 */
const extraProducts: RegistryProduct[] = [
  { key: '6909999', names: { 'zh-CN': '散装大米', en: 'Loose rice' }, manufacturer: 'Farm', covered: false },
  {
    key: '0106901234567892',
    names: { 'zh-CN': '矿泉水', en: 'Mineral water' },
    manufacturer: 'Spring',
    spec: '550 ml',
    covered: true,
    withdrawn: true,
  },
];
const extraBatches: RegistryBatch[] = [
  { productKey: '6901234', number: 'B2', expiryDate: '2020-01-31', recalled: true, recallReason: 'mould' },
];
const extraUnits: RegistryUnit[] = [
  {
    key: '69012340000000991234',
    status: 'sold',
    productKey: '6901234',
    batchNumber: 'B2',
    soldAt: { store: 'S-0042', at: '2026-11-01T09:30:00.000Z' },
    upstreamChecks: 12,
  },
  { key: '69012340000000981234', status: 'stolen', productKey: '6901234' },
  { key: '0106901234567892217', status: 'active', productKey: '0106901234567892' },
];
const units = [...makeUnits(12), ...extraUnits];
const allProducts = [...products, ...extraProducts];
const allBatches = [...batches, ...extraBatches];

/** Keys every reader is asked about: units of each kind, product keys, unknowns, garbage. */
const PROBES = [
  ...units.map((u) => u.key),
  '69012349999999991234', // well-formed, covered product, not registered
  '69099990000000011234', // a unit of an uncovered product, not registered
  '69999990000000011234', // a unit of no product
  '0109506000134352219999', // gs1 unit of a registered product, not registered
  '6901234', // cn product key
  '0109506000134352', // gs1 product key
  '0106901234567892',
  '0100000000000000', // product key of no product
  '',
  'hello?',
  '6901234000000001123', // 19 digits
];

let temp: ReturnType<typeof makeTempDir>;
let store: RegistryStore;
let state: RegistryState;

beforeAll(async () => {
  temp = makeTempDir();
  const authority = makeAuthority();

  const files = await buildSnapshot(
    {
      scope: 'contract',
      version: 3,
      expires: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      products: allProducts,
      batches: allBatches,
      units,
    },
    [authority.releaseKey],
    join(temp.dir, 'snap.manifest.json'),
  );
  store = RegistryStore.open(join(temp.dir, 'registry.db'));
  const imported = await importRelease(store, files.manifestFile, {
    pinnedRoot: authority.root,
    scope: 'contract',
  });
  expect(imported.ok).toBe(true);
  state = store.state()!;
});
afterAll(() => {
  store.close();
  temp.cleanup();
});

const IMPLEMENTATIONS: [string, () => RegistryReader][] = [
  ['RegistryStore (signed release imported into SQLite)', () => store],
  ['MemoryRegistry', () => new MemoryRegistry({ products: allProducts, batches: allBatches, units, state })],
];

describe.each(IMPLEMENTATIONS)('RegistryReader contract: %s', (_name, make) => {
  it('finds each registered unit with its product and batch', () => {
    const reader = make();
    const sold = reader.lookup('69012340000000991234');
    expect(sold.unit).toEqual(extraUnits[0]);
    expect(sold.batch).toEqual(extraBatches[0]);
    expect(sold.product?.key).toBe('6901234');
    const noBatch = reader.lookup('69012340000000981234');
    expect(noBatch.unit).toEqual(extraUnits[1]);
    expect(noBatch.batch).toBeUndefined();
  });

  it('answers an unregistered unit of a registered product with the product only', () => {
    const reader = make();
    expect(reader.lookup('69012349999999991234')).toEqual({ product: products[0] });
    expect(reader.lookup('69999990000000011234')).toEqual({});
  });

  it('answers a product key with the product, and garbage with nothing', () => {
    const reader = make();
    expect(reader.lookup('0106901234567892')).toEqual({ product: extraProducts[1] });
    expect(reader.lookup('0100000000000000')).toEqual({});
    expect(reader.lookup('hello?')).toEqual({});
    expect(reader.lookupProduct('6909999')).toEqual(extraProducts[0]);
    expect(reader.lookupProduct('nope')).toBeUndefined();
  });

  it('answers every probe exactly as the other implementation does', () => {
    const reader = make();
    const reference = IMPLEMENTATIONS[0]![1]();
    for (const key of PROBES) expect(reader.lookup(key), key).toEqual(reference.lookup(key));
  });

  it('reports the release it holds, and reads several lookups in one snapshot', () => {
    const reader = make();
    expect(reader.state()).toMatchObject({ scope: 'contract', version: 3, units: units.length });
    const both = reader.reading ? reader.reading(() => PROBES.slice(0, 3).map((k) => reader.lookup(k))) : [];
    expect(both.map((r) => r.unit?.key)).toEqual(PROBES.slice(0, 3));
  });
});
