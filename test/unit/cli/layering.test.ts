import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md: "upstream/ and provisioning/ may use terminal/registry and terminal/sync; nothing in
// terminal/ imports them", and "drivers/ imports nothing from terminal/". The `veriterm` command
// table that wires them together lives in cli/, above every layer.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface ImportRef {
  specifier: string;
  /** false for `import('…')`: loaded only when that code runs. */
  static: boolean;
  line: number;
}

/** Blanks out comments (keeping line breaks and string literals), so commented-out imports do not count. */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c && !(c !== '`' && source[j] === '\n')) {
        j += source[j] === '\\' ? 2 : 1;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every module specifier in a TypeScript source: import/export … from, side-effect imports, import(). */
function importSpecifiers(source: string): ImportRef[] {
  const code = stripComments(source);
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  const refs: ImportRef[] = [];
  const patterns: [RegExp, boolean][] = [
    [/(?:^|[\n;])\s*(?:import|export)\s[^;'"`]*?\bfrom\s*(['"])([^'"\n]+)\1/g, true],
    [/(?:^|[\n;])\s*import\s*(['"])([^'"\n]+)\1/g, true],
    [/\bimport\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g, false],
  ];
  for (const [pattern, isStatic] of patterns) {
    for (const m of code.matchAll(pattern)) {
      refs.push({ specifier: m[2]!, static: isStatic, line: lineOf(m.index + m[0].indexOf(m[2]!)) });
    }
  }
  return refs.sort((a, b) => a.line - b.line);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sourceFiles(path));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Repository-relative path (with /) a relative specifier points at, or undefined for packages. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(ROOT, dirname(fromFile), specifier);
  const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.tsx')];
  const found = candidates.find((c) => existsSync(c)) ?? target;
  return relative(ROOT, found).split(sep).join('/');
}

function violations(dirs: string[], forbidden: string[]): string[] {
  const found: string[] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    for (const ref of importSpecifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      const target = resolveSpecifier(file, ref.specifier);
      if (target && forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
        found.push(`${file.split(sep).join('/')}:${ref.line} imports '${ref.specifier}' (${target})`);
    }
  }
  return found;
}

describe('import direction between layers', () => {
  it('finds every kind of import and ignores comments', () => {
    const source = [
      "import { a } from '../upstream/a.js';",
      "import type {\n  B,\n  C,\n} from '../provisioning/b.js';",
      "export { d } from './d.js';",
      "import './side-effect.js';",
      "const e = await import('../upstream/e.js');",
      "// import { f } from '../upstream/f.js';",
      "/* await import('../upstream/g.js') */",
      "const url = 'mqtt://host'; const h = 'from';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      { specifier: '../upstream/a.js', static: true, line: 1 },
      { specifier: '../provisioning/b.js', static: true, line: 5 },
      { specifier: './d.js', static: true, line: 6 },
      { specifier: './side-effect.js', static: true, line: 7 },
      { specifier: '../upstream/e.js', static: false, line: 8 },
    ]);
  });

  it('terminal/ and drivers/ import nothing from provisioning/, upstream/ or cli/', () => {
    expect(violations(['terminal', 'drivers'], ['provisioning', 'upstream', 'cli'])).toEqual([]);
  });

  it('provisioning/ and upstream/ import nothing from cli/: every command module lives in cli/', () => {
    expect(violations(['provisioning', 'upstream'], ['cli'])).toEqual([]);
  });

  it('drivers/ imports nothing from terminal/', () => {
    expect(violations(['drivers'], ['terminal'])).toEqual([]);
  });

  it('sees imports in the real tree (the scan is not vacuous)', () => {
    expect(violations(['cli'], ['provisioning', 'upstream']).length).toBeGreaterThan(0);
  });

  it('the veriterm entry loads command modules lazily: no static path from cli/main.ts reaches one', () => {
    const seen = new Set<string>();
    const queue = ['cli/main.ts'];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const ref of importSpecifiers(readFileSync(join(ROOT, file), 'utf8'))) {
        const target = ref.static ? resolveSpecifier(file, ref.specifier) : undefined;
        if (target && /\.tsx?$/.test(target)) queue.push(target);
      }
    }
    expect(seen.has('cli/dispatch.ts')).toBe(true);
    expect(seen.has('cli/registry/commands.ts')).toBe(true);
    // Only the tables (commands.ts) and the dispatcher load eagerly; every command module is lazy.
    const eager = [...seen].filter(
      (f) =>
        /^(provisioning|upstream|drivers)\//.test(f) ||
        (/^cli\/[^/]+\//.test(f) && !f.endsWith('/commands.ts')) ||
        f === 'terminal/main.ts',
    );
    expect(eager).toEqual([]);
  });
});
