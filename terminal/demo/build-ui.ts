import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';

const UI_ROOT = new URL('../../kiosk-ui/', import.meta.url).pathname;
export const UI_DIST = join(UI_ROOT, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether kiosk-ui/dist is missing or older than any source file. */
export function uiNeedsBuild(): boolean {
  const index = join(UI_DIST, 'index.html');
  if (!existsSync(index)) return true;
  return newestMtime(join(UI_ROOT, 'src')) > statSync(index).mtimeMs;
}

/**
 * Builds kiosk-ui with Vite when it is missing or stale, so `npm start` works straight after
 * `npm ci` (Vite is a dev dependency, present after `npm ci`). Returns the dist directory.
 */
export async function ensureUiBuilt(logger: Logger): Promise<string> {
  if (!uiNeedsBuild()) return UI_DIST;
  logger.info('building the kiosk UI (first start)…');
  const { build } = await import('vite');
  await build({ configFile: join(UI_ROOT, 'vite.config.ts'), root: UI_ROOT, logLevel: 'warn' });
  return UI_DIST;
}
