/**
 * Headless Chromium for page tests: Debian's /usr/bin/chromium through playwright-core (never a
 * downloaded browser), one persistent context in a temp profile, temp files under its own TMPDIR.
 * Other areas' page tests (checkout, manager) reuse this.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { makeTempDir } from '../helpers/temp-dir.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1920, height: 1080 }): Promise<Browser> {
  const profile = makeTempDir('veriterm-chromium-');
  const tmp = join(profile.dir, 'tmp');
  mkdirSync(tmp);
  const context = await chromium.launchPersistentContext(join(profile.dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    env: { ...process.env, TMPDIR: tmp },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      profile.cleanup();
    },
  };
}

/** Saves a screenshot as test/artifacts/<name>.png and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Builds the pages (kiosk-ui, Vite) into `outDir` for a test's terminal to serve; returns it. */
export async function buildPages(outDir: string): Promise<string> {
  const { build } = await import('vite');
  await build({
    configFile: join(import.meta.dirname, '..', '..', 'kiosk-ui', 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
