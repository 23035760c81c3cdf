import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VeritermError } from '../../../terminal/errors.js';
import type { ReleaseRef } from '../../../terminal/sync/protocol.js';
import { DEFAULT_CHUNK_BYTES, ReleaseCatalog } from '../../release-catalog.js';
import type { ReleaseStorage } from '../contract.js';
import {
  checkNewRelease,
  FILE_NAME,
  RELEASE_ID,
  ReleaseConflictError,
  SCOPE_NAME,
} from '../release-files.js';

/**
 * The embedded engine's releases: directories under `{data}/registry/{scope}/` (ReleaseCatalog), as
 * `veriterm registry build|delta` writes them and operators drop them in. Read afresh on every
 * announcement, so a directory added by hand is announced at the next rescan. One process
 * publishes per directory (as per SQLite file), so appending needs no lock: a delta appears by
 * `rename`, whole or not at all.
 */
export class FileReleaseStorage implements ReleaseStorage {
  readonly catalog: ReleaseCatalog;

  constructor(
    readonly root: string,
    chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.catalog = new ReleaseCatalog(root, chunkBytes);
  }

  async scopes(): Promise<string[]> {
    return this.catalog.scopes();
  }

  async version(scope: string): Promise<number | undefined> {
    return (await this.announcement(scope))?.version;
  }

  async announcement(scope: string) {
    // A terminal names the scope of an `announcement` request: no path outside the root.
    return SCOPE_NAME.test(scope) ? this.catalog.announcement(scope) : undefined;
  }

  async release(scope: string, id: string): Promise<ReleaseRef | undefined> {
    if (!SCOPE_NAME.test(scope) || !RELEASE_ID.test(id) || !existsSync(join(this.root, scope, id)))
      return undefined;
    return this.catalog.describe(scope, id);
  }

  async chunk(scope: string, releaseId: string, fileName: string, index: number) {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    return this.catalog.chunk(scope, releaseId, fileName, index);
  }

  async file(scope: string, releaseId: string, fileName: string): Promise<Buffer | undefined> {
    if (!(await this.release(scope, releaseId)) || !FILE_NAME.test(fileName)) return undefined;
    const path = join(this.root, scope, releaseId, fileName);
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  async add(...[scope, release, files]: Parameters<ReleaseStorage['add']>): Promise<ReleaseRef> {
    const id = checkNewRelease(scope, release, files);
    const dir = this.catalog.scopeDir(scope);
    const final = join(dir, id);
    if (release.kind === 'delta') {
      const current = (await this.version(scope)) ?? 0;
      if (release.from !== current)
        throw new ReleaseConflictError(
          'version_taken',
          `${scope}/${id}: the scope is at version ${current}, not ${release.from}`,
        );
    }
    if (existsSync(final)) throw new ReleaseConflictError('release_exists', `${scope}/${id} exists`);
    const temp = join(dir, `.${id}.${process.pid}.tmp`);
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp);
    try {
      for (const f of files) writeFileSync(join(temp, f.name), f.bytes);
      renameSync(temp, final); // appears whole or not at all
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      if (existsSync(final)) throw new ReleaseConflictError('release_exists', `${scope}/${id} exists`);
      throw error;
    }
    return this.catalog.describe(scope, id);
  }
  async list(scope: string): Promise<string[]> {
    const dir = join(this.root, scope);
    if (!SCOPE_NAME.test(scope) || !existsSync(dir)) return [];
    return readdirSync(dir).filter((id) => RELEASE_ID.test(id));
  }

  async remove(scope: string, id: string): Promise<void> {
    if (!SCOPE_NAME.test(scope)) throw new VeritermError('bad_release', `not a scope: "${scope}"`);
    this.catalog.remove(scope, id);
  }
}

/** The releases of a storage opened without a release directory (tools that only ingest or enrol). */
export const NO_RELEASES: ReleaseStorage = {
  scopes: async () => [],
  version: async () => undefined,
  announcement: async () => undefined,
  release: async () => undefined,
  chunk: async () => undefined,
  file: async () => undefined,
  list: async () => [],
  remove: async () => undefined,
  add: async () => {
    throw new VeritermError(
      'no_release_directory',
      'this upstream storage was opened without a release directory ({data}/registry)',
    );
  },
};
