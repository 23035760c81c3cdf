import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue 17: the same code runs from sources, dist/ and vitest, so nothing is compiled from
// strings at run time: no Function constructor, no eval, no worker evaluated from source text.
// Worker threads are real modules (`*.worker.ts`) started by terminal/threads/start-worker.ts.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIRS = ['bin', 'cli', 'terminal', 'drivers', 'provisioning', 'upstream', 'kiosk-ui/src', 'test'];
const SELF = relative(ROOT, fileURLToPath(import.meta.url));

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'artifacts'].includes(entry.name)) out.push(...files(path));
    } else if (/\.(m?[jt]sx?)$/.test(entry.name) && path !== SELF) out.push(path);
  }
  return out;
}

// Spelled in pieces, so this file does not match itself.
const FORBIDDEN: [RegExp, string][] = [
  [new RegExp(`\\bnew ${'Func'}tion\\s*\\(`), 'the Function constructor'],
  // Playwright's page.$eval / $$eval are method names, not eval: `$` before it does not count.
  [new RegExp(`(^|[^.\\w$])${'ev'}al\\s*\\(`), 'eval'],
  [new RegExp(`${'ev'}al:\\s*true`), 'a worker evaluated from a string'],
  [new RegExp(`\\b${'Func'}tion\\s*\\(\\s*['"\`]`), 'the Function constructor'],
];

describe('no code in strings', () => {
  const all = DIRS.flatMap(files);

  it('finds the sources it scans', () => {
    expect(all.length).toBeGreaterThan(200);
    expect(all).toContain(join('terminal', 'codes', 'gs1-result.ts'));
  });

  it('nothing uses the Function constructor, eval, or a worker evaluated from a string', () => {
    const found: string[] = [];
    for (const file of all) {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const [pattern, what] of FORBIDDEN)
          if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('worker threads start only through startWorker, each from a *.worker module beside its caller', () => {
    const direct: string[] = [];
    const started: string[] = [];
    for (const file of all) {
      // Code only: doc comments show how to call startWorker.
      const text = readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/)/.test(line))
        .join('\n');
      if (/\bnew Worker\s*\(/.test(text) && file !== join('terminal', 'threads', 'start-worker.ts'))
        direct.push(file);
      for (const m of text.matchAll(/startWorker\(\s*new URL\(\s*'([^']+)'/g)) {
        started.push(m[1]!);
        const source = join(ROOT, dirname(file), m[1]!.replace(/\.js$/, '.ts'));
        expect(m[1], `${file} starts ${m[1]}`).toMatch(/\.worker\.js$/);
        expect(existsSync(source), `${file}: ${source} exists`).toBe(true);
      }
    }
    expect(direct).toEqual([]);
    expect(started).toContain('./writer.worker.js');
  });
});
