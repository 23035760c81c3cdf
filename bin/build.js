#!/usr/bin/env node
// `npm run build`: compiles the sources to dist/ with the native TypeScript compiler
// (tsconfig.build.json), stamps the build (bin/build-state.js), then builds the kiosk UI with
// Vite in a child process when it is missing or stale.
//   --if-stale      do nothing for dist/ when it is already up to date (what `npm start` runs)
//   --out-dir DIR   compile into DIR instead (a test of the compiled CLI); no UI, no stamp check
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chooseEntry, newestSourceMtimeMs, STAMP_FILE } from './build-state.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { 'if-stale': { type: 'boolean' }, 'out-dir': { type: 'string' } },
});
const outDir = values['out-dir'] ? resolve(values['out-dir']) : join(root, 'dist');
const log = (line) => process.stderr.write(`build: ${line}\n`);

function compile() {
  // Taken before compiling: a source saved during the build makes the stamp older than it.
  const sourcesMtimeMs = newestSourceMtimeMs(root);
  const started = performance.now();
  // Start clean, so a deleted source leaves no compiled module behind; the stamp goes first.
  rmSync(outDir, { recursive: true, force: true });
  const require = createRequire(import.meta.url);
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) {
    log(`tsc failed (exit ${result.status ?? result.signal}); ${outDir} is not stamped`);
    process.exit(1);
  }
  mkdirSync(outDir, { recursive: true });
  const stamp = { sourcesMtimeMs, builtAt: new Date().toISOString() };
  writeFileSync(join(outDir, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
  log(`compiled to ${outDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (values['out-dir']) {
  compile();
} else {
  const choice = chooseEntry(root, {});
  if (values['if-stale'] && choice.kind === 'dist') {
    // Up to date, or an installed package with no sources to compile.
  } else {
    if (values['if-stale']) log(`${choice.reason}: compiling`);
    compile();
  }
  // The UI's own staleness rule lives with the demo (terminal/demo/build-ui.ts); use its build.
  const ui = await import(pathToFileURL(join(root, 'dist', 'terminal', 'demo', 'build-ui.js')).href);
  if (ui.uiNeedsBuild()) {
    const { createLogger } = await import(pathToFileURL(join(root, 'dist', 'terminal', 'logger.js')).href);
    const started = performance.now();
    await ui.buildUi(createLogger({ level: 'warn' }));
    log(`built the kiosk UI in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
