#!/usr/bin/env node
// The `veriterm` command. Runs the compiled JavaScript in dist/ when it is built and up to date;
// in a development checkout without a current build (or with VERITERM_DEV=1) it runs the
// TypeScript sources through tsx instead, never an out-of-date dist/ (bin/build-state.js).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chooseEntry } from './build-state.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const choice = chooseEntry(root);
if (choice.kind === 'sources') {
  if (choice.stale && process.stderr.isTTY) {
    process.stderr.write(`veriterm: ${choice.reason}; running the sources (npm run build updates dist/)\n`);
  }
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    // A production install (`npm ci --omit=dev`) has no tsx: say what to do instead of a stack.
    process.stderr.write(
      `veriterm: ${choice.reason}, and tsx (a development dependency) is not installed: run \`npm run build\` where the sources are, or install the package with its dist/\n`,
    );
    process.exit(1);
  }
  tsx.register();
}
// cli/veriterm(.ts|.js) runs the command and sets the exit code.
await import(pathToFileURL(choice.entry).href);
