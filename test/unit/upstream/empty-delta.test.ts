import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_SCOPE, simRegistryCode, writeSimRegistry } from '../../../cli/upstream/simulate/sim-kiosk.js';
import { importRelease } from '../../../terminal/registry/import.js';
import { generateSigningKey, readSigningKey, type SigningKey } from '../../../terminal/registry/keys.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { registryDeltaBuilder } from '../../../upstream/registry-delta-builder.js';
import { readReleaseDir } from '../../../upstream/storage/release-files.js';
import { FileReleaseStorage } from '../../../upstream/storage/sqlite/file-releases.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

// A fleet selling units of other scopes made the publisher sign one empty delta per flush, and
// kiosks fell off the announced chain (docs/scaling.md, run 4): no unit of the scope, no delta.
describe('sold-unit deltas in the registry format', () => {
  const tmp = makeTempDir('vt-empty-delta-');
  afterAll(() => tmp.cleanup());

  it("answers 'empty' and writes nothing when no change is about a unit of the scope; builds one otherwise", async () => {
    const root = await writeSimRegistry(tmp.dir, [simRegistryCode(0), simRegistryCode(1)]);
    const builder = registryDeltaBuilder({
      releases: new FileReleaseStorage(join(tmp.dir, 'registry')),
      stateDir: tmp.dir,
      root,
      signingKeys: [readSigningKey(join(tmp.dir, 'registry-keys', 'release.key'))],
    });
    const soldAt = { store: 'store-a', at: new Date().toISOString() };
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const none = await builder.buildDelta({
      scope: SIM_SCOPE,
      from: 1,
      to: 2,
      changes: [{ key: '10000010000100000001', status: 'sold', soldAt }],
      dir: empty,
    });
    expect(none).toBe('empty');
    expect(readdirSync(empty)).toEqual([]);
    const built = join(tmp.dir, 'built');
    mkdirSync(built);
    const some = await builder.buildDelta({
      scope: SIM_SCOPE,
      from: 1,
      to: 2,
      changes: [
        { key: '10000010000100000001', status: 'sold', soldAt },
        { key: simRegistryCode(1), status: 'sold', soldAt },
      ],
      dir: built,
    });
    expect(some).toBeUndefined();
    expect(readdirSync(built)).toContain(`${SIM_SCOPE}-2.manifest.json`);
  });

  it('a publisher whose delta lost the race builds its next one onto the published chain', async () => {
    const dir = join(tmp.dir, 'race');
    const codes = [0, 1, 2].map(simRegistryCode);
    const root = await writeSimRegistry(dir, codes);
    const releases = new FileReleaseStorage(join(dir, 'registry'));
    const publisher = (name: string) => {
      mkdirSync(join(dir, name));
      return registryDeltaBuilder({
        releases,
        stateDir: join(dir, name),
        root,
        signingKeys: [readSigningKey(join(dir, 'registry-keys', 'release.key'))],
      });
    };
    const [a, b] = [publisher('a'), publisher('b')];
    const soldAt = (store: string) => ({ store, at: new Date().toISOString() });
    const build = async (builder: typeof a, from: number, key: string, store: string) => {
      const out = join(dir, `${store}-${from}`);
      mkdirSync(out);
      await builder.buildDelta({
        scope: SIM_SCOPE,
        from,
        to: from + 1,
        changes: [{ key, status: 'sold', soldAt: soldAt(store) }],
        dir: out,
      });
      return readReleaseDir(out);
    };
    // Both hold the lease as far as they know and build 1 → 2; b appends first.
    const fromA = await build(a, 1, codes[0]!, 'store-a');
    await releases.add(
      SIM_SCOPE,
      { kind: 'delta', from: 1, version: 2 },
      await build(b, 1, codes[1]!, 'store-b'),
    );
    await expect(
      releases.add(SIM_SCOPE, { kind: 'delta', from: 1, version: 2 }, fromA),
    ).rejects.toMatchObject({
      code: 'version_taken',
    });
    // a's next delta goes onto b's version 2, not onto its own unpublished one.
    await releases.add(
      SIM_SCOPE,
      { kind: 'delta', from: 2, version: 3 },
      await build(a, 2, codes[2]!, 'store-a'),
    );
    const kiosk = RegistryStore.open(join(dir, 'kiosk.db'));
    for (const id of ['snapshot-1', 'delta-1-2', 'delta-2-3']) {
      const manifest = readdirSync(join(dir, 'registry', SIM_SCOPE, id)).find((f) =>
        f.endsWith('.manifest.json'),
      )!;
      const result = await importRelease(kiosk, join(dir, 'registry', SIM_SCOPE, id, manifest), {
        pinnedRoot: root,
        scope: SIM_SCOPE,
      });
      expect(result, id).toMatchObject({ ok: true });
    }
    expect(codes.map((c) => kiosk.lookup(c).unit?.status)).toEqual(['active', 'sold', 'sold']);
    // a's copy, advanced by its builds alone (each delta applied once), holds what the kiosk's
    // verified imports installed: same version, content hash, counts and recorded manifest.
    const copy = RegistryStore.open(join(dir, 'a', `${SIM_SCOPE}.registry.db`), { readonly: true });
    const row = (store: RegistryStore) =>
      store.db
        .prepare('SELECT version, content_hash, products, batches, units, manifest FROM registry_state')
        .get();
    expect(copy.state()).toEqual(kiosk.state());
    expect(row(copy)).toEqual(row(kiosk));
    expect(codes.map((c) => copy.lookup(c).unit?.status)).toEqual(['active', 'sold', 'sold']);
    copy.close();
    kiosk.close();
  });

  it('refuses a delta signed by a key the root does not trust, and builds the next one with a trusted key', async () => {
    const dir = join(tmp.dir, 'untrusted');
    const code = simRegistryCode(0);
    const root = await writeSimRegistry(dir, [code]);
    const releases = new FileReleaseStorage(join(dir, 'registry'));
    const builder = (key: SigningKey) =>
      registryDeltaBuilder({ releases, stateDir: dir, root, signingKeys: [key] });
    const soldAt = { store: 'store-a', at: new Date().toISOString() };
    const delta = async (b: ReturnType<typeof builder>, name: string) => {
      const out = join(dir, name);
      mkdirSync(out);
      await b.buildDelta({
        scope: SIM_SCOPE,
        from: 1,
        to: 2,
        changes: [{ key: code, status: 'sold', soldAt }],
        dir: out,
      });
      return out;
    };
    await expect(delta(builder(generateSigningKey()), 'stranger')).rejects.toThrow(/own delta refused/);
    const out = await delta(builder(readSigningKey(join(dir, 'registry-keys', 'release.key'))), 'trusted');
    const kiosk = RegistryStore.open(join(dir, 'kiosk.db'));
    for (const source of [join(dir, 'registry', SIM_SCOPE, 'snapshot-1'), out]) {
      const result = await importRelease(kiosk, source, { pinnedRoot: root, scope: SIM_SCOPE });
      expect(result).toMatchObject({ ok: true });
    }
    expect(kiosk.lookup(code).unit?.status).toBe('sold');
    kiosk.close();
  });
});
