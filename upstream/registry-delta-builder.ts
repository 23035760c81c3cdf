import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDelta, buildSnapshot } from '../terminal/registry/build.js';
import { importRelease, readTrust } from '../terminal/registry/import.js';
import type { SigningKey } from '../terminal/registry/keys.js';
import { readRegistryContent } from '../terminal/registry/read-content.js';
import type { RootMetadata } from '../terminal/registry/root.js';
import { requireThreshold } from '../terminal/registry/signed.js';
import { RegistryStore } from '../terminal/registry/store.js';
import type { RegistryUnit } from '../terminal/registry/types.js';
import type { DeltaBuilder, UnitChange } from './delta-builder.js';
import type { ReleaseStorage } from './storage/contract.js';

export interface RegistryDeltaOptions {
  /** The published releases (the upstream storage's `releases`): what the base copy follows. */
  releases: ReleaseStorage;
  /** Upstream's own copy of each scope's registry: `{stateDir}/{scope}.registry.db`. */
  stateDir: string;
  root: RootMetadata;
  signingKeys: readonly SigningKey[];
  /** Validity of each delta's metadata. @default 30 days */
  expiresInMs?: number;
}

/**
 * Imports every published release the base copy lacks (snapshot first, then the delta chain),
 * copied out of the release storage into a scratch directory under `stateDir`.
 */
async function catchUp(
  store: RegistryStore,
  releases: ReleaseStorage,
  scope: string,
  root: RootMetadata,
  stateDir: string,
): Promise<void> {
  const ann = await releases.announcement(scope);
  if (!ann) return;
  const steps = [];
  const current = store.state()?.version;
  if (current === undefined && ann.snapshot) steps.push(ann.snapshot);
  let at = current ?? ann.snapshot?.version ?? 0;
  for (const d of ann.deltas) {
    if (d.from !== at) continue;
    steps.push(d);
    at = d.version;
  }
  for (const step of steps) {
    const manifest = step.files.find((f) => f.name.endsWith('.manifest.json'));
    if (!manifest) continue;
    const dir = mkdtempSync(join(stateDir, `.${scope}-${step.id}-`));
    try {
      for (const f of step.files) {
        const bytes = await releases.file(scope, step.id, f.name);
        if (!bytes)
          throw new Error(`base registry ${scope}: ${step.id}/${f.name} is not in the release storage`);
        writeFileSync(join(dir, f.name), bytes);
      }
      const result = await importRelease(store, join(dir, manifest.name), { pinnedRoot: root, scope });
      if (!result.ok && result.code !== 'rollback')
        throw new Error(`base registry ${scope}: ${result.code}: ${result.message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Statuses a sale or a return may move a unit between. Recalled, withdrawn, stolen, destroyed and
 * locked come from the registry's authors and stay whatever terminals report (DOMAIN.md: terminal
 * states, or upstream's alone to lift).
 */
const TRADABLE: ReadonlySet<string> = new Set(['active', 'received', 'sold']);

/**
 * A unit's registry entry after `change`, or undefined when the change does not apply: a status
 * no sale or return may change, a return of a unit that is not sold, or a return from another
 * store than the one the registry says sold it (only the seller's own return undoes its sale).
 */
export function unitAfter(unit: RegistryUnit, change: UnitChange): RegistryUnit | undefined {
  if (!TRADABLE.has(unit.status)) return undefined;
  const { soldAt: _old, ...rest } = unit;
  // A store destroyed it: every kiosk of the chain reads `destroyed` (a terminal state).
  if (change.status === 'destroyed') return { ...rest, status: 'destroyed' };
  // Back with its supplier: tradable again, no longer checked in anywhere. The registry has no
  // status for "at the supplier"; only a unit the registry says is `received` changes (to active).
  if (change.status === 'returned_to_supplier')
    return unit.status === 'received' ? { ...rest, status: 'active' } : undefined;
  if (change.status === 'sold') {
    if (!change.soldAt) return undefined;
    return { ...rest, status: 'sold', soldAt: { store: change.soldAt.store, at: change.soldAt.at } };
  }
  if (unit.status !== 'sold') return undefined;
  if (change.returnedAt && unit.soldAt && unit.soldAt.store !== change.returnedAt.store) return undefined;
  return { ...rest, status: 'active' };
}

/**
 * Sold-unit deltas in the registry's own signed format (terminal/registry buildDelta): the unit
 * keeps its product and batch, gets status `sold` and `soldAt` (store, time); a return makes it
 * `active` again. Upstream keeps a copy of each scope's registry to build onto and advances it.
 *
 * The copy follows the published chain: a delta it built but that was not published as built (a
 * second publisher appended that version first, or the worker died before appending) leaves the
 * copy ahead of, or beside, the chain; it is then dropped and rebuilt from the published releases.
 */
export function registryDeltaBuilder(options: RegistryDeltaOptions): DeltaBuilder {
  const stores = new Map<string, RegistryStore>();
  /** Per scope, the last delta built onto the copy: its id and its manifest's SHA-256. */
  const built = new Map<string, { id: string; manifest: string; sha256: string }>();
  const fileOf = (scope: string) => join(options.stateDir, `${scope}.registry.db`);
  const drop = (scope: string) => {
    stores.get(scope)?.close();
    stores.delete(scope);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${fileOf(scope)}${suffix}`, { force: true });
  };
  const storeFor = async (scope: string) => {
    const mine = built.get(scope);
    built.delete(scope);
    if (mine) {
      const published = (await options.releases.release(scope, mine.id))?.files.find(
        (f) => f.name === mine.manifest,
      );
      if (published?.sha256 !== mine.sha256) drop(scope);
    }
    let store = stores.get(scope);
    if (!store) {
      store = RegistryStore.open(fileOf(scope));
      stores.set(scope, store);
    }
    await catchUp(store, options.releases, scope, options.root, options.stateDir);
    return store;
  };
  return {
    async buildDelta({ scope, from, to, changes, dir }) {
      let store = await storeFor(scope);
      if (store.state()?.version !== from) {
        drop(scope); // left ahead by a delta never published (a restart forgets which)
        store = await storeFor(scope);
      }
      const base = store.state()?.version;
      if (base !== from) throw new Error(`base registry ${scope} is at ${base ?? 'none'}, expected ${from}`);
      const units: RegistryUnit[] = [];
      // One read transaction for all lookups: a coalesced delta carries thousands of units, and a
      // lookup costs a quarter of the CPU alone (store.ts `reading`).
      store.reading(() => {
        for (const change of changes) {
          const unit = store.lookup(change.key).unit;
          if (!unit) continue; // not a unit of this scope (or unknown): nothing to tell its terminals
          const next = unitAfter(unit, change);
          if (next) units.push(next);
        }
      });
      if (units.length === 0) return 'empty';
      const manifestFile = join(dir, `${scope}-${to}.manifest.json`);
      // Applied to the copy once: the build commits what it applied to compute the content hash
      // (importing the delta afterwards applied it a second time; docs/scaling.md, "A busy scope").
      const files = await buildDelta(
        {
          scope,
          base: store,
          version: to,
          expires: new Date(Date.now() + (options.expiresInMs ?? 30 * 86_400_000)).toISOString(),
          upsert: { units },
          commit: true,
        },
        options.signingKeys,
        manifestFile,
      );
      // What the import also checked: keys the copy's root does not trust make a delta every
      // terminal refuses. Not published then, and the copy is rebuilt from the published chain.
      const root = readTrust(store.db)?.root;
      try {
        if (!root) throw new Error('no root is pinned in the copy');
        requireThreshold(
          files.manifest,
          root.signed.keys,
          root.signed.roles.release,
          `delta ${scope} v${to}`,
        );
      } catch (error) {
        drop(scope);
        throw new Error(`own delta refused: ${(error as Error).message}`, { cause: error });
      }
      built.set(scope, {
        id: `delta-${from}-${to}`,
        manifest: `${scope}-${to}.manifest.json`,
        sha256: createHash('sha256').update(readFileSync(manifestFile)).digest('hex'),
      });
    },
    async buildSnapshot({ scope, version, dir }) {
      const store = await storeFor(scope);
      const content = readRegistryContent(store);
      try {
        if (content.state.version !== version)
          throw new Error(`base registry ${scope} is at ${content.state.version}, expected ${version}`);
        // Same version and content as the delta that made it: a terminal at `version` sees
        // nothing new, one behind installs it and its content hash matches the chain's.
        const files = await buildSnapshot(
          {
            scope,
            version,
            created: new Date().toISOString(),
            expires: new Date(Date.now() + (options.expiresInMs ?? 30 * 86_400_000)).toISOString(),
            products: content.products,
            batches: content.batches,
            units: content.units,
          },
          options.signingKeys,
          join(dir, `${scope}-${version}.manifest.json`),
        );
        if (files.manifest.signed.content.hash !== content.state.contentHash)
          throw new Error(`snapshot ${scope} v${version}: content hash differs from the registry's own`);
      } finally {
        content.close();
      }
    },
  };
}
