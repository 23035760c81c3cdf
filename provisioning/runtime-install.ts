import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { VeritermError } from '../terminal/errors.js';

/** Where provisioning installs the runtime the units run. */
export const DEFAULT_RUNTIME_DIR = '/opt/veriterm';

/** What a running terminal needs from the package, besides its production node_modules. */
const RUNTIME_PARTS = ['package.json', 'package-lock.json', 'bin', 'dist', join('kiosk-ui', 'dist')];

/**
 * The package's production dependencies as folders under its node_modules, from npm itself
 * (`npm ls --omit=dev --all --parseable`, offline: it reads the installed tree), so the copy
 * has what `npm ci --omit=dev` would install and none of the build tools.
 */
export function productionDependencies(packageDir: string): string[] {
  const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: packageDir,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  // npm ls exits 1 for an extraneous or invalid package but still lists the tree.
  const lines = (listed.stdout ?? '').split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) {
    throw new VeritermError(
      'runtime_install_failed',
      `\`npm ls --omit=dev\` in ${packageDir} listed nothing (${(listed.stderr ?? listed.error?.message ?? '').trim().slice(0, 500)}): run \`npm ci\` there first`,
    );
  }
  const modules = realpathSync(join(packageDir, 'node_modules'));
  const top = new Set<string>();
  for (const line of lines) {
    let real: string;
    try {
      real = realpathSync(line);
    } catch {
      continue; // listed but not installed (an optional dependency for another platform)
    }
    const rel = relative(modules, real);
    if (rel.startsWith('..') || rel === '') continue; // the package itself
    // Copying node_modules/<pkg> (or @scope/<pkg>) takes its nested node_modules along.
    const parts = rel.split('/');
    top.add(parts[0]!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  // npm ls drops a production package whose top-level edge is a dev one (`ws`: a devDependency
  // here, and what @fastify/websocket and mqtt require at run time, deduped to the top): add the
  // closure of every listed package's own dependencies, resolved as Node resolves them.
  for (const real of dependencyClosure(packageDir)) {
    const rel = relative(modules, real);
    if (rel.startsWith('..') || rel === '') continue;
    const parts = rel.split('/');
    top.add(parts[0]!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  return [...top].sort();
}

/** Real paths of every package `dependencies`/`optionalDependencies`/`peerDependencies` reach from the package's own `dependencies`. */
function dependencyClosure(packageDir: string): Set<string> {
  const found = new Set<string>();
  const queue: { dir: string; names: string[] }[] = [
    { dir: packageDir, names: Object.keys(readManifest(packageDir).dependencies ?? {}) },
  ];
  while (queue.length > 0) {
    const { dir, names } = queue.pop()!;
    for (const name of names) {
      const at = resolvePackage(dir, name);
      if (!at || found.has(at)) continue;
      found.add(at);
      const m = readManifest(at);
      queue.push({
        dir: at,
        names: [
          ...Object.keys(m.dependencies ?? {}),
          ...Object.keys(m.optionalDependencies ?? {}),
          ...Object.keys(m.peerDependencies ?? {}),
        ],
      });
    }
  }
  return found;
}

function readManifest(dir: string): {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
} {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
}

/** `name` as Node finds it from `dir`: dir/node_modules/name, then each parent's (real path), or undefined when not installed. */
function resolvePackage(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}

/**
 * cp(1), not fs.cpSync: about eight times faster on node_modules' many small files. Symlinks stay
 * symlinks; modes and times are kept, ownership is not (the copy is root's, not the checkout
 * owner's, who must not be able to change what the service runs).
 */
function copyInto(sources: string | string[], parent: string): void {
  mkdirSync(parent, { recursive: true });
  execFileSync(
    'cp',
    ['-R', '--no-dereference', '--preserve=mode,timestamps', ...[sources].flat(), `${parent}/`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
}

/**
 * Copies the built runtime of `from` to `to` (root-owned, readable by all, writable by root
 * only), staged beside `to` and swapped in by rename, so a running service never sees half a
 * runtime and a failed copy leaves the old one. Nothing is copied when `from` is `to`.
 */
export function installRuntime(from: string, to: string, deps = productionDependencies): boolean {
  const source = realpathSync(from);
  const target = resolve(to);
  if (existsSync(target) && realpathSync(target) === source) return false;
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  try {
    mkdirSync(staging, { mode: 0o755 });
    const parts = RUNTIME_PARTS.filter((part) => existsSync(join(source, part)));
    for (const part of parts) copyInto(join(source, part), dirname(join(staging, part)));
    // Grouped by parent (node_modules or node_modules/@scope): one cp per group.
    const modules = realpathSync(join(source, 'node_modules'));
    const byParent = new Map<string, string[]>();
    for (const name of deps(source)) {
      const parent = dirname(join(staging, 'node_modules', name));
      byParent.set(parent, [...(byParent.get(parent) ?? []), join(modules, name)]);
    }
    for (const [parent, sources] of byParent) copyInto(sources, parent);
    // Readable and searchable by the service user, writable by root only, whatever the checkout's modes.
    execFileSync('chmod', ['-R', 'u+rwX,go+rX,go-w', staging]);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof VeritermError) throw error;
    throw new VeritermError(
      'runtime_install_failed',
      `could not install the runtime into ${target}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
  return true;
}
