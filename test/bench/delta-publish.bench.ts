import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDelta } from '../../terminal/registry/build.js';
import { importRelease } from '../../terminal/registry/import.js';
import { generateSigningKey } from '../../terminal/registry/keys.js';
import { parseManifest } from '../../terminal/registry/manifest.js';
import { createRoot } from '../../terminal/registry/root.js';
import { RegistryStore } from '../../terminal/registry/store.js';
import { synthAllUnits, synthesize, synthPlan } from '../../terminal/registry/synth.js';
import type { RegistryUnit } from '../../terminal/registry/types.js';
import type { UnitChange } from '../../upstream/delta-builder.js';
import { registryDeltaBuilder, unitAfter } from '../../upstream/registry-delta-builder.js';
import { readReleaseDir } from '../../upstream/storage/release-files.js';
import { FileReleaseStorage } from '../../upstream/storage/sqlite/file-releases.js';
import { mean, median, report, scaled } from './lib.js';

const B = 'delta-publish';
const SCOPE = 'bench';

/**
 * CPU the registry publisher spends per sold unit in a signed delta (docs/scaling.md, "A busy
 * scope"): `registryDeltaBuilder().buildDelta` (look each unit up in the upstream's copy, build the
 * delta, leave the copy at the new version) against the raw path it replaces, written out here:
 * the same lookups, `buildDelta` in a rolled-back transaction, then `importRelease` of the delta
 * into the copy (each delta applied twice). Each variant sells the same units on its own copy of
 * the same registry, round by round in alternated order; every round's two deltas must reach the
 * same content hash. `BENCH_SCALE` shrinks the registry (default 1,000,000 units).
 */
export async function run(): Promise<void> {
  const units = scaled(1_000_000);
  const perDelta = Math.min(3_000, Math.floor(units / 20));
  const rounds = 6;
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-delta-publish-'));
  try {
    const rootKey = generateSigningKey();
    const releaseKey = generateSigningKey();
    const root = createRoot({ rootKeys: [rootKey], releaseKeys: [releaseKey] }, [rootKey]);
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const snapDir = join(dir, 'snapshot-1');
    mkdirSync(snapDir);
    const snap = await synthesize(
      { units, scope: SCOPE, version: 1, expires },
      [releaseKey],
      join(snapDir, `${SCOPE}-1.manifest.json`),
    );
    const releases = new FileReleaseStorage(join(dir, 'registry'));
    await releases.add(SCOPE, { kind: 'snapshot', version: 1 }, readReleaseDir(snapDir));

    // Ours: the publisher's builder, its copy caught up from the release storage.
    mkdirSync(join(dir, 'ours'));
    const builder = registryDeltaBuilder({
      releases,
      stateDir: join(dir, 'ours'),
      root,
      signingKeys: [releaseKey],
    });
    // Raw: a copy of its own, built onto and imported into as the publisher did before.
    const raw = RegistryStore.open(join(dir, 'raw.registry.db'));
    const pinned = await importRelease(raw, snap.manifestFile, { pinnedRoot: root, scope: SCOPE });
    if (!pinned.ok) throw new Error(`snapshot refused: ${pinned.code}`);

    // Units to sell: every 7th of the registry, a fresh slice each round (each sold once).
    const keys: string[] = [];
    let i = 0;
    for (const u of synthAllUnits(synthPlan({ units }))) if (i++ % 7 === 0) keys.push(u.key);
    const at = '2026-12-07T12:00:00.000Z';
    const changesOf = (round: number): UnitChange[] =>
      keys
        .slice((round * perDelta) % keys.length, ((round * perDelta) % keys.length) + perDelta)
        .map((key) => ({ key, status: 'sold', soldAt: { store: 'S0007', at, terminal: 'T1' } }));

    const versions = { ours: 1, raw: 1 };
    const hashes = { ours: [] as string[], raw: [] as string[] };
    let round = { ours: 0, raw: 0 };
    const measure = async (kind: 'ours' | 'raw'): Promise<number> => {
      const changes = changesOf(round[kind]++);
      const from = versions[kind];
      const out = mkdtempSync(join(dir, `${kind}-${from}-`));
      const manifest = join(out, `${SCOPE}-${from + 1}.manifest.json`);
      const cpu = process.cpuUsage();
      if (kind === 'ours') {
        await builder.buildDelta({ scope: SCOPE, from, to: from + 1, changes, dir: out });
      } else {
        const sold: RegistryUnit[] = [];
        raw.reading(() => {
          for (const change of changes) {
            const unit = raw.lookup(change.key).unit;
            const next = unit && unitAfter(unit, change);
            if (next) sold.push(next);
          }
        });
        await buildDelta(
          { scope: SCOPE, base: raw, version: from + 1, expires, upsert: { units: sold } },
          [releaseKey],
          manifest,
        );
        const applied = await importRelease(raw, manifest, { scope: SCOPE });
        if (!applied.ok) throw new Error(`raw delta refused: ${applied.code}`);
      }
      const used = process.cpuUsage(cpu);
      if (kind === 'ours')
        await releases.add(SCOPE, { kind: 'delta', from, version: from + 1 }, readReleaseDir(out));
      hashes[kind].push(parseManifest(readFileSync(manifest, 'utf8')).signed.content.hash);
      versions[kind]++;
      rmSync(out, { recursive: true, force: true });
      return (used.user + used.system) / changes.length;
    };

    // One warm-up each, then alternated rounds (lib.ts alternatedRounds, for async work).
    await measure('ours');
    await measure('raw');
    const per = { ours: [] as number[], raw: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['raw', 'ours'] as const) : (['ours', 'raw'] as const);
      for (const kind of order) per[kind].push(await measure(kind));
    }
    const differ = hashes.ours.findIndex((h, j) => h !== hashes.raw[j]);
    if (differ !== -1) throw new Error(`round ${differ}: content hashes differ between ours and raw`);
    raw.close();
    round = { ours: 0, raw: 0 };

    report(B, 'registry_units', units, 'units');
    report(B, 'sold_units_per_delta', perDelta, 'units');
    report(B, 'raw_cpu_per_sold_unit', median(per.raw), 'µs (median of rounds; build + import)');
    report(B, 'cpu_per_sold_unit', median(per.ours), 'µs (median of rounds)');
    report(B, 'raw_cpu_per_sold_unit_mean', mean(per.raw), 'µs');
    report(B, 'cpu_per_sold_unit_mean', mean(per.ours), 'µs');
    report(B, 'cpu_vs_raw', median(per.ours) / median(per.raw), 'x (lower is better)');
    report(B, 'rounds', rounds, 'per variant, alternated');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
