import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VeritermError } from './errors.js';

let cached: string | undefined;

/**
 * The veriterm package's directory (the one holding its package.json, kiosk-ui/ and bin/): the
 * nearest ancestor of this module whose package.json is named `veriterm`. Walking up rather than
 * counting `..` keeps paths right from the sources (terminal/package-root.ts), from the build
 * (dist/terminal/package-root.js) and from any other outDir inside the package, which a fixed
 * relative URL does not: `../kiosk-ui/` from dist/terminal/ is dist/kiosk-ui/, which never exists.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'veriterm') {
        cached = dir;
        return dir;
      }
    } catch {
      // no package.json here (or not JSON): keep walking up
    }
    if (dirname(dir) === dir) {
      throw new VeritermError(
        'package_root_missing',
        `no veriterm package.json in any directory above ${start}`,
      );
    }
  }
}
