import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VeritermError } from '../terminal/errors.js';
import { installRuntime } from './runtime-install.js';
import { untraversable } from './state-ownership.js';

/** Places the hardened unit cannot see: ProtectHome=yes hides the first three, PrivateTmp=yes the rest. */
const HIDDEN = ['/home', '/root', '/run/user', '/tmp', '/var/tmp'];

/** The runtime the units start: the installed package, its node and what is (not) built. */
export interface Runtime {
  /** Installed location (real path): ExecStart runs `<dir>/dist/cli/veriterm.js`. */
  dir: string;
  entry: string;
  nodeBin: string;
}

type Entry = { kind: 'dist' | 'sources'; reason: string };

/** One reason the runtime cannot run yet; `buildFixes` when `npm run build` removes it. */
export interface RuntimeProblem {
  text: string;
  buildFixes: boolean;
}

/**
 * What is missing for the units to run `dir`: the compiled CLI (dist/, up to date with the
 * sources by bin/build-state.js's rule), the kiosk pages (kiosk-ui/dist, which the kiosk shows
 * as "UI not built" otherwise), and a location the service user can read and the sandbox shows.
 */
export async function runtimeProblems(
  dir: string,
  nodeBin: string,
  options: { location?: boolean } = {},
): Promise<RuntimeProblem[]> {
  const problems: RuntimeProblem[] = [];
  const add = (text: string, buildFixes = false) => problems.push({ text, buildFixes });
  const entry = join(dir, 'dist', 'cli', 'veriterm.js');
  const state = join(dir, 'bin', 'build-state.js');
  if (!existsSync(entry)) add(`${entry} is missing (dist/ is not built)`, true);
  else if (existsSync(state)) {
    const { chooseEntry } = (await import(pathToFileURL(state).href)) as {
      chooseEntry: (root: string, env: Record<string, string>) => Entry;
    };
    const choice = chooseEntry(dir, {});
    if (choice.kind !== 'dist') add(`${join(dir, 'dist')}: ${choice.reason}`, true);
  }
  const ui = join(dir, 'kiosk-ui');
  const index = join(ui, 'dist', 'index.html');
  if (!existsSync(index)) add(`${index} is missing (the kiosk UI is not built)`, true);
  else if (existsSync(join(ui, 'src')) && newestMtime(join(ui, 'src')) > statSync(index).mtimeMs) {
    add(`${join(ui, 'dist')} is older than kiosk-ui/src`, true);
  }
  if (options.location === false) return problems;
  for (const [what, path] of [
    ['veriterm', dir],
    ['node', nodeBin],
  ] as const) {
    const hidden = HIDDEN.find((h) => path === h || path.startsWith(`${h}/`));
    if (hidden) {
      add(
        `${what} is at ${path}, under ${hidden}, which the service's sandbox hides (ProtectHome=/PrivateTmp=): install it elsewhere, e.g. /opt/veriterm`,
      );
      continue;
    }
    const blocked = untraversable(path);
    if (blocked) add(`${what} at ${path}: ${blocked} is not searchable by others (chmod o+x ${blocked})`);
    else if (existsSync(path) && (statSync(path).mode & 0o004) === 0) {
      add(`${what} at ${path} is not readable by others (chmod o+r ${path})`);
    }
  }
  return problems;
}

/**
 * Checks the package running provisioning before anything is spent and, when `build` is set and
 * it holds its sources, runs `npm run build` (bin/build.js --if-stale: the compiled CLI and the
 * kiosk UI) once, then checks again. With `installTo`, copies the built runtime there
 * (runtime-install.ts) and checks the copy where the service will run it: readable by the service
 * user, not hidden by the sandbox. What remains is one error naming every problem and the fix.
 */
export async function prepareRuntime(
  dir: string,
  options: {
    build: boolean;
    installTo?: string;
    /** Check that the service could run `dir` where it is. @default true without installTo */
    location?: boolean;
    nodeBin?: string;
    log?: (line: string) => void;
  },
): Promise<Runtime> {
  const source = realpathOr(dir);
  const nodeBin = realpathOr(options.nodeBin ?? process.execPath);
  const check = (at: string, location: boolean) => runtimeProblems(at, nodeBin, { location });
  const inPlace = options.installTo === undefined && options.location !== false;
  let problems = await check(source, inPlace);
  const buildScript = join(source, 'bin', 'build.js');
  if (problems.some((p) => p.buildFixes) && options.build && existsSync(buildScript)) {
    options.log?.(`building the runtime in ${source} (npm run build) …`);
    const built = spawnSync(nodeBin, [buildScript, '--if-stale'], { cwd: source, encoding: 'utf8' });
    if (built.status !== 0) {
      throw new VeritermError(
        'runtime_build_failed',
        `npm run build failed in ${source} (exit ${built.status ?? built.signal}):\n${`${built.stdout}${built.stderr}`.trim().slice(-2000)}`,
      );
    }
    problems = await check(source, inPlace);
  }
  let at = source;
  if (problems.length === 0 && options.installTo !== undefined) {
    if (installRuntime(source, options.installTo))
      options.log?.(`installed the runtime into ${options.installTo}`);
    at = realpathOr(options.installTo);
    problems = await check(at, true);
  }
  if (problems.length > 0) {
    throw new VeritermError(
      'runtime_not_ready',
      `the terminal's runtime cannot run as a service yet (nothing was spent):\n${problems.map((p) => `  - ${p.text}`).join('\n')}\nRun \`npm ci && npm run build\` in ${source}, then provision again.`,
    );
  }
  return { dir: at, entry: join(at, 'dist', 'cli', 'veriterm.js'), nodeBin };
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
