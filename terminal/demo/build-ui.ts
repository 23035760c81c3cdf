import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VeritermError } from '../errors.js';
import type { Logger } from '../logger.js';
import { packageRoot } from '../package-root.js';

const UI_ROOT = join(packageRoot(), 'kiosk-ui');
export const UI_DIST = join(UI_ROOT, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Whether kiosk-ui/dist is missing or older than any source file. An installed package that ships
 * the built pages without their sources never needs a build.
 */
export function uiNeedsBuild(): boolean {
  const index = join(UI_DIST, 'index.html');
  if (!existsSync(index)) return true;
  const src = join(UI_ROOT, 'src');
  if (!existsSync(src)) return false;
  return (
    Math.max(newestMtime(src), statSync(join(UI_ROOT, 'vite.config.ts')).mtimeMs) > statSync(index).mtimeMs
  );
}

/**
 * Builds kiosk-ui with Vite (`vite build`) in a child process, so none of Vite, Rollup and the
 * Preact preset stays in this process's memory afterwards (loading them in-process left the demo
 * idling at ~355 MB RSS). Resolves once the pages are written; rejects naming Vite's output when
 * the build fails.
 */
export async function buildUi(logger: Logger): Promise<void> {
  let viteBin: string;
  try {
    const require = createRequire(join(UI_ROOT, 'vite.config.ts'));
    const pkgFile = require.resolve('vite/package.json');
    const bin = (require(pkgFile) as { bin: { vite: string } }).bin.vite;
    viteBin = join(dirname(pkgFile), bin);
  } catch (error) {
    throw new VeritermError(
      'ui_build_failed',
      'the kiosk UI needs building but Vite is not installed (a development dependency): run `npm ci`, or ship kiosk-ui/dist built',
      { cause: error },
    );
  }
  const child = spawn(process.execPath, [viteBin, 'build', UI_ROOT, '--logLevel', 'warn'], {
    cwd: UI_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    // Keep the tail only: a failing build's last lines say why.
    output = (output + chunk.toString()).slice(-16_384);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new VeritermError(
      'ui_build_failed',
      `vite build of the kiosk UI exited with ${code}:\n${output.trim()}`,
    );
  }
  if (output.trim() !== '') logger.warn({ output: output.trim() }, 'vite build warnings');
}

/**
 * Builds kiosk-ui when it is missing or stale, so `npm start` works straight after `npm ci`
 * (`npm start` builds it before the demo starts; this covers `veriterm demo` run by hand).
 * Returns the dist directory.
 */
export async function ensureUiBuilt(logger: Logger): Promise<string> {
  if (!uiNeedsBuild()) return UI_DIST;
  logger.info('building the kiosk UI (first start)…');
  await buildUi(logger);
  return UI_DIST;
}
