import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  importRelease,
  RegistryStore,
  type RegistryUnit,
} from '../../../terminal/registry/index.js';
import { readRegistryContent } from '../../../terminal/registry/read-content.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { future, makeAuthority, makeUnits, snapshot } from './fixtures.js';

// The upstream re-issues its registry copy as a fresh snapshot (upstream/registry-delta-builder.ts):
// what it reads back must be the same content in the writer's order, or the snapshot's content hash
// differs from the chain's and terminals refuse it. GS1 serials stored as INTEGER sort differently
// from their text ("9" after "10"), and those with a leading zero or letters are BLOBs.
describe('readRegistryContent', () => {
  const tmp = makeTempDir('vt-read-content-');
  afterAll(() => tmp.cleanup());

  it('reads back a registry as the snapshot it was built from, byte for byte', async () => {
    const a = makeAuthority();
    const gs1 = (serial: string, extra: Partial<RegistryUnit> = {}): RegistryUnit => ({
      key: `010950600013435221${serial}`,
      status: 'active',
      productKey: '0109506000134352',
      ...extra,
    });
    const units = [
      ...makeUnits(200),
      gs1('9'),
      gs1('10', { status: 'sold', soldAt: { store: 'store\t1', at: '2026-01-02T03:04:05.000Z' } }),
      gs1('100', { upstreamChecks: 3 }),
      gs1('0009', { status: 'recalled' }),
      gs1('A-1'),
    ];
    const original = await snapshot(tmp.dir, a, 7, units);
    const store = RegistryStore.open(join(tmp.dir, 'registry.db'));
    const imported = await importRelease(store, original.manifestFile, { pinnedRoot: a.root });
    expect(imported.ok).toBe(true);

    mkdirSync(join(tmp.dir, 'again'));
    const content = readRegistryContent(store);
    let again: Awaited<ReturnType<typeof buildSnapshot>>;
    try {
      expect(content.state).toMatchObject({ scope: 'test', version: 7, units: units.length });
      again = await buildSnapshot(
        {
          scope: 'test',
          version: 7,
          expires: future(),
          products: content.products,
          batches: content.batches,
          units: content.units,
        },
        [a.releaseKey],
        join(tmp.dir, 'again', 'again-7.manifest.json'),
      );
    } finally {
      content.close();
    }
    expect(again.manifest.signed.content).toEqual(original.manifest.signed.content);
    expect(readFileSync(again.bodyFile).equals(readFileSync(original.bodyFile))).toBe(true);
    store.close();
  });
});
