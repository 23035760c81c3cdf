import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VeritermError } from '../terminal/errors.js';
import type { Logger } from '../terminal/logger.js';
import type { NewRelease, ReleaseStorage } from './storage/contract.js';
import { RELEASE_ID, ReleaseConflictError, readReleaseDir, SCOPE_NAME } from './storage/release-files.js';

/** `snapshot-N` or `delta-A-B` as a release to add; undefined for any other name. */
export function parseReleaseId(id: string): NewRelease | undefined {
  const m = RELEASE_ID.exec(id);
  if (!m) return undefined;
  return m[2] !== undefined
    ? { kind: 'snapshot', version: Number(m[2]) }
    : { kind: 'delta', from: Number(m[3]), version: Number(m[4]) };
}

/**
 * Operators publish releases as they always have, into `{data}/registry/{scope}/snapshot-N|delta-A-B/`
 * (as `veriterm registry build|delta` writes them). Where the storage does not serve that directory
 * itself (PostgreSQL), each worker adds what it finds there and the storage lacks, in the order they
 * chain. What the storage already has, or refuses (a delta that does not extend the
 * scope's version: logged), is not tried again by this worker. A folder is read as it is when
 * first seen: operators move a release in whole (write it elsewhere, then rename it into place).
 */
export class ReleaseInbox {
  private readonly seen = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly releases: ReleaseStorage,
    private readonly logger: Logger,
  ) {}

  /** Adds what is new in the directory; resolves with the ids added (`scope/id`). */
  async scan(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    const added: string[] = [];
    for (const scope of readdirSync(this.dir, { withFileTypes: true })) {
      if (!scope.isDirectory() || !SCOPE_NAME.test(scope.name)) continue;
      const found = readdirSync(join(this.dir, scope.name), { withFileTypes: true })
        .filter((d) => d.isDirectory() && !this.seen.has(`${scope.name}/${d.name}`))
        .map((d) => ({ id: d.name, release: parseReleaseId(d.name) }))
        .filter((r): r is { id: string; release: NewRelease } => r.release !== undefined)
        .sort((a, b) => order(a.release) - order(b.release) || a.release.version - b.release.version);
      for (const { id, release } of found) {
        const key = `${scope.name}/${id}`;
        this.seen.add(key);
        if (await this.releases.release(scope.name, id)) continue;
        try {
          await this.releases.add(scope.name, release, readReleaseDir(join(this.dir, scope.name, id)));
          added.push(key);
          this.logger.info({ scope: scope.name, release: id }, 'release added from the release directory');
        } catch (error) {
          if (error instanceof ReleaseConflictError && error.code === 'release_exists') continue;
          // Refused for what it is (a conflict, bad files): not tried again. Anything else (the
          // database away): tried again at the next scan.
          if (!(error instanceof VeritermError)) this.seen.delete(key);
          this.logger.warn(
            { err: error, scope: scope.name, release: id, dir: this.dir },
            'release in the release directory not added',
          );
        }
      }
    }
    return added;
  }
}

/** By the version each starts from (a snapshot before a delta from its version), so a chain is added in order. */
function order(r: NewRelease): number {
  return r.kind === 'snapshot' ? r.version * 2 : r.from * 2 + 1;
}
