import { join } from 'node:path';
import { importRelease } from '../../terminal/registry/import.js';
import { generateSigningKey } from '../../terminal/registry/keys.js';
import { createRoot } from '../../terminal/registry/root.js';
import { RegistryStore } from '../../terminal/registry/store.js';
import { synthesize } from '../../terminal/registry/synth.js';

/**
 * A real signed registry of `units` synthesized units (scope `bench`, valid 7 days), written as a
 * release in `dir` and imported into `dir/registry.db` the way a terminal does: what the kiosk and
 * checkout benches verify against. `synthPlan({ units })` lists the same products and units.
 */
export async function importSynthRegistry(dir: string, units: number): Promise<RegistryStore> {
  const rootKey = generateSigningKey();
  const releaseKey = generateSigningKey();
  const root = createRoot({ rootKeys: [rootKey], releaseKeys: [releaseKey] }, [rootKey]);
  const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const snap = await synthesize(
    { units, scope: 'bench', version: 1, expires },
    [releaseKey],
    join(dir, 'snap.manifest.json'),
  );
  const store = RegistryStore.open(join(dir, 'registry.db'));
  const imported = await importRelease(store, snap.manifestFile, { pinnedRoot: root, scope: 'bench' });
  if (!imported.ok) throw new Error(`registry import failed: ${imported.code}`);
  return store;
}
