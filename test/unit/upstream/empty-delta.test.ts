import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_SCOPE, simRegistryCode, writeSimRegistry } from '../../../cli/upstream/simulate/sim-kiosk.js';
import { readSigningKey } from '../../../terminal/registry/keys.js';
import { registryDeltaBuilder } from '../../../upstream/registry-delta-builder.js';
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
});
