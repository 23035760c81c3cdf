// Which code the `veriterm` command runs: the compiled JavaScript in dist/ or the TypeScript
// sources (through tsx, development only). Plain JavaScript: bin/veriterm.js must decide before
// anything can compile TypeScript. The rule is documented in docs/operations.md ("Running in
// production").
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The folders `npm run build` compiles (tsconfig.build.json's `include`). */
export const SOURCE_DIRS = ['cli', 'terminal', 'drivers', 'provisioning', 'upstream'];
/** Files besides the sources whose change changes the build's output. */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json'];
/** Written into dist/ last by bin/build.js: what the build was made from. */
export const STAMP_FILE = '.build-stamp.json';

function newestIn(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestIn(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The newest modification time (ms) of any source the build compiles. A `git checkout` or a pull
 * rewrites the files it changes with the current time, so switching branches also counts as newer.
 */
export function newestSourceMtimeMs(root) {
  let newest = 0;
  for (const dir of SOURCE_DIRS) newest = Math.max(newest, newestIn(join(root, dir)));
  for (const file of BUILD_INPUTS) {
    try {
      newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
    } catch {
      // not shipped (an installed package): nothing to compare
    }
  }
  return newest;
}

/** The stamp of `outDir` (`{ sourcesMtimeMs, builtAt }`), or undefined when there is no complete build. */
export function readStamp(outDir) {
  try {
    const stamp = JSON.parse(readFileSync(join(outDir, STAMP_FILE), 'utf8'));
    if (typeof stamp.sourcesMtimeMs !== 'number') return undefined;
    if (!existsSync(join(outDir, 'cli', 'veriterm.js'))) return undefined;
    return stamp;
  } catch {
    return undefined;
  }
}

/**
 * What `veriterm` runs in the package at `root`:
 * - `VERITERM_DEV=1`: the sources, with tsx, whatever dist/ holds;
 * - no sources beside bin/ (an installed package): dist/;
 * - sources, and a dist/ stamped at least as new as every source: dist/;
 * - otherwise (no dist/, or a source changed after the build): the sources, with tsx, so an old
 *   dist/ is never run in place of newer code. `stale` then says dist/ exists but is out of date.
 * Returns `{ kind: 'dist' | 'sources', entry, reason, stale }`.
 */
export function chooseEntry(root, env = process.env) {
  const sources = join(root, 'cli', 'veriterm.ts');
  const outDir = join(root, 'dist');
  const compiled = join(outDir, 'cli', 'veriterm.js');
  const hasSources = existsSync(sources);
  if (env.VERITERM_DEV === '1' && hasSources) {
    return { kind: 'sources', entry: sources, reason: 'VERITERM_DEV=1', stale: false };
  }
  if (!hasSources) {
    return { kind: 'dist', entry: compiled, reason: 'installed package (no sources)', stale: false };
  }
  const stamp = readStamp(outDir);
  if (!stamp) return { kind: 'sources', entry: sources, reason: 'dist/ is not built', stale: false };
  if (newestSourceMtimeMs(root) > stamp.sourcesMtimeMs) {
    return { kind: 'sources', entry: sources, reason: 'dist/ is older than the sources', stale: true };
  }
  return { kind: 'dist', entry: compiled, reason: 'dist/ is up to date', stale: false };
}
