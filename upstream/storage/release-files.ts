import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VeritermError } from '../../terminal/errors.js';
import type { FileRef } from '../../terminal/sync/protocol.js';
import type { NewRelease, ReleaseFile } from './contract.js';

/** What terminals may name in a chunk request (and what a release may be added under). */
export const SCOPE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const FILE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
export const RELEASE_ID = /^(snapshot-(\d+)|delta-(\d+)-(\d+))$/;
/** The announcement's schema allows 1–16 files per release (terminal/sync/protocol.ts releaseRefSchema). */
const MAX_FILES = 16;

/** A delta that does not extend the scope's current version, or a release id that exists. */
export class ReleaseConflictError extends VeritermError {
  constructor(code: 'version_taken' | 'release_exists', message: string) {
    super(code, message);
    this.name = 'ReleaseConflictError';
  }
}

export function releaseId(release: NewRelease): string {
  return release.kind === 'snapshot'
    ? `snapshot-${release.version}`
    : `delta-${release.from}-${release.version}`;
}

/** The release's id; throws naming what is wrong with scope, versions or files. */
export function checkNewRelease(scope: string, release: NewRelease, files: readonly ReleaseFile[]): string {
  const bad = (what: string) => new VeritermError('bad_release', `release of scope "${scope}": ${what}`);
  if (!SCOPE_NAME.test(scope)) throw bad('expected a scope of 1–64 letters, digits, "_", "." or "-"');
  const versions = release.kind === 'delta' ? [release.from, release.version] : [release.version];
  if (!versions.every((v) => Number.isSafeInteger(v) && v >= 0))
    throw bad(`expected non-negative integer versions, got ${versions.join(' → ')}`);
  if (release.kind === 'delta' && release.version <= release.from)
    throw bad(`expected a delta to a later version, got ${release.from} → ${release.version}`);
  if (files.length < 1 || files.length > MAX_FILES)
    throw bad(`expected 1–${MAX_FILES} files, got ${files.length}`);
  const names = new Set<string>();
  for (const f of files) {
    if (!FILE_NAME.test(f.name) || f.name.startsWith('.'))
      throw bad(`expected file names of letters, digits, "_", "." or "-" (not hidden), got "${f.name}"`);
    if (names.has(f.name)) throw bad(`file "${f.name}" given twice`);
    names.add(f.name);
  }
  return releaseId(release);
}

/** Size, SHA-256 of the whole file and of each `chunkBytes` chunk, as the announcement lists them. */
export function describeBytes(name: string, bytes: Uint8Array, chunkBytes: number): FileRef {
  const chunks: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes)
    chunks.push(
      createHash('sha256')
        .update(bytes.subarray(offset, offset + chunkBytes))
        .digest('hex'),
    );
  return {
    name,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    chunkSize: chunkBytes,
    chunks,
  };
}

/** The files of a release directory (hidden ones, such as a builder's leftovers, left out), by name. */
export function readReleaseDir(dir: string): ReleaseFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && !f.name.startsWith('.'))
    .map((f) => ({ name: f.name, bytes: readFileSync(join(dir, f.name)) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
