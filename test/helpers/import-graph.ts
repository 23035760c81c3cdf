import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseAst } from 'vite';

// The import graph of the repository's own sources, read with a real parser (Vite's `parseAst`, the
// oxc parser Vite already ships; TypeScript 7 has no JavaScript compiler API) rather than regular
// expressions, so `import type`, `export … from`, `import('…')` in code and in type positions, and
// multi-line clauses are all seen the way the compiler sees them, and comments are ignored.

export interface ImportRef {
  specifier: string;
  /** false for `import('…')`: loaded only when that code runs (or a type-position import). */
  static: boolean;
  /** true when the import brings in types only (`import type`, all-`type` specifiers, `import('…')` in a type). */
  typeOnly: boolean;
  /** 1-based line of the specifier. */
  line: number;
}

export interface Edge extends ImportRef {
  /** Repository-relative path (with /) of the imported file, or the package name. */
  to: string;
  /** true when `to` is a file of this repository, false for a package or node: builtin. */
  local: boolean;
}

/** file (repository-relative, with /) → its imports. */
export type ImportGraph = Map<string, Edge[]>;

interface AstNode {
  type?: string;
  start?: number;
  [key: string]: unknown;
}

/** What a dynamic `import()` is given that names no module outright (a variable, a template with `${}`). */
export const COMPUTED_SPECIFIER = '(computed)';

/** The module name a node spells out: a string literal, or a template literal without substitutions. */
function literalOf(node: unknown): { value: string; start: number } | undefined {
  const n = node as AstNode | null | undefined;
  if (n?.type === 'Literal' && typeof n.value === 'string') return { value: n.value, start: n.start ?? 0 };
  const quasis = n?.type === 'TemplateLiteral' ? (n.quasis as AstNode[]) : [];
  const cooked = (quasis[0]?.value as { cooked?: unknown } | undefined)?.cooked;
  if (quasis.length === 1 && typeof cooked === 'string') return { value: cooked, start: n?.start ?? 0 };
  return undefined;
}

/** Every module specifier in a TypeScript source, comments ignored. */
export function importSpecifiers(source: string, fileName = 'source.ts'): ImportRef[] {
  const program = parseAst(source, { lang: fileName.endsWith('.tsx') ? 'tsx' : 'ts' }, fileName);
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const refs: ImportRef[] = [];
  const add = (literal: unknown, isStatic: boolean, typeOnly: boolean) => {
    const found = literalOf(literal);
    if (found) refs.push({ specifier: found.value, static: isStatic, typeOnly, line: lineOf(found.start) });
  };
  // `import type {…}`, `export type {…}`, or a clause whose every specifier says `type`.
  const onlyTypes = (n: AstNode, kindKey: 'importKind' | 'exportKind') => {
    if (n[kindKey] === 'type') return true;
    const specifiers = (n.specifiers as AstNode[] | undefined) ?? [];
    return specifiers.length > 0 && specifiers.every((s) => s[kindKey] === 'type');
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    switch (n.type) {
      case 'ImportDeclaration':
        add(n.source, true, onlyTypes(n, 'importKind'));
        break;
      case 'ExportNamedDeclaration':
      case 'ExportAllDeclaration':
        add(n.source, true, onlyTypes(n, 'exportKind'));
        break;
      case 'TSImportEqualsDeclaration':
        add((n.moduleReference as AstNode | undefined)?.expression, true, n.importKind === 'type');
        break;
      case 'ImportExpression':
        // A computed import() is kept, so a rule can refuse an import the graph cannot follow.
        if (literalOf(n.source)) add(n.source, false, false);
        else
          refs.push({
            specifier: COMPUTED_SPECIFIER,
            static: false,
            typeOnly: false,
            line: lineOf(n.start ?? 0),
          });
        break;
      case 'TSImportType':
        add(n.source, false, true);
        break;
    }
    for (const [key, value] of Object.entries(n))
      if (key !== 'type' && typeof value === 'object') visit(value);
  };
  visit(program);
  return refs.sort((a, b) => a.line - b.line);
}

/** Every .ts/.tsx file (not .d.ts) under `dir`, repository-relative with /. */
export function sourceFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sourceFiles(root, path));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** The file a relative specifier names (NodeNext: `./x.js` is `./x.ts` or `./x.tsx`), or undefined for packages. */
export function resolveSpecifier(
  fromFile: string,
  specifier: string,
  exists: (path: string) => boolean,
): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  const base = target.replace(/\.(js|jsx|ts|tsx)$/, '');
  const candidates = [target, `${base}.ts`, `${base}.tsx`, `${target}/index.ts`, `${target}/index.tsx`];
  return candidates.find(exists) ?? target;
}

/** The import graph of every source file under `dirs` (repository-relative) of `root`. */
export function buildGraph(root: string, dirs: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const isFile = (path: string) => statSync(join(root, path), { throwIfNoEntry: false })?.isFile() === true;
  for (const file of dirs.flatMap((dir) => sourceFiles(root, dir))) {
    const source = readFileSync(join(root, file), 'utf8');
    let refs: ImportRef[];
    try {
      refs = importSpecifiers(source, file);
    } catch (error) {
      throw new Error(`${file}: cannot read its imports: ${(error as Error).message}`, { cause: error });
    }
    graph.set(file, graphEdges(file, refs, isFile));
  }
  return graph;
}

/** The edges of one file from its import references. */
export function graphEdges(file: string, refs: ImportRef[], exists: (path: string) => boolean): Edge[] {
  return refs.map((ref) => {
    const to = resolveSpecifier(file, ref.specifier, exists);
    return to === undefined ? { ...ref, to: ref.specifier, local: false } : { ...ref, to, local: true };
  });
}

/** A graph from `file → [imported files]`, for the checker's own tests. */
export function graphOf(files: Record<string, string[]>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [file, targets] of Object.entries(files)) {
    graph.set(
      file,
      // A name ending in .ts/.tsx is a file of the repository; anything else is a package.
      targets.map((to, i) => ({
        specifier: to,
        to,
        local: /\.tsx?$/.test(to),
        static: true,
        typeOnly: false,
        line: i + 1,
      })),
    );
  }
  return graph;
}

/**
 * Strongly connected components with more than one file, or one file importing itself (Tarjan,
 * iterative so a deep graph cannot overflow the stack). Local edges only; type imports count.
 */
export function stronglyConnected(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const successors = (file: string) => [
    ...new Set((graph.get(file) ?? []).filter((e) => e.local && graph.has(e.to)).map((e) => e.to)),
  ];

  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { file: string; next: string[]; i: number }[] = [];
    const enter = (file: string) => {
      index.set(file, counter);
      low.set(file, counter);
      counter++;
      stack.push(file);
      onStack.add(file);
      work.push({ file, next: successors(file), i: 0 });
    };
    enter(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.next.length) {
        const to = frame.next[frame.i++]!;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(frame.file, Math.min(low.get(frame.file)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.file, Math.min(low.get(parent.file)!, low.get(frame.file)!));
      if (low.get(frame.file) === index.get(frame.file)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.file);
        if (component.length > 1 || successors(frame.file).includes(frame.file))
          components.push(component.sort());
      }
    }
  }
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One cycle through a component, as a path `a → b → … → a` (shortest from its first file, by BFS). */
export function cyclePath(graph: ImportGraph, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const edge of graph.get(file) ?? []) {
      if (!edge.local || !members.has(edge.to)) continue;
      if (edge.to === start) {
        const path = [start];
        for (let at: string | undefined = file; at !== undefined && at !== start; at = previous.get(at))
          path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(edge.to)) {
        previous.set(edge.to, file);
        queue.push(edge.to);
      }
    }
  }
  return component;
}

/** Every import cycle, each as `a → b → a` with the files of its component. */
export function importCycles(graph: ImportGraph): string[] {
  return stronglyConnected(graph).map((component) => {
    const path = cyclePath(graph, component).join(' → ');
    return component.length > 2
      ? `${path} (component of ${component.length}: ${component.join(', ')})`
      : path;
  });
}

/** A rule: files matching `from` may not import local files matching `forbid`, unless `allow` says so. */
export interface Rule {
  name: string;
  from: (file: string) => boolean;
  forbid: (target: string) => boolean;
  /** Reason an otherwise forbidden import is allowed, or undefined. */
  allow?: (target: string, file: string) => boolean;
}

/** Each forbidden import as `rule: file:line imports 'specifier' (target)`. */
export function ruleViolations(graph: ImportGraph, rules: Rule[]): string[] {
  const found: string[] = [];
  for (const [file, edges] of graph) {
    for (const rule of rules) {
      if (!rule.from(file)) continue;
      for (const edge of edges) {
        if (edge.local && rule.forbid(edge.to) && !rule.allow?.(edge.to, file))
          found.push(`${rule.name}: ${file}:${edge.line} imports '${edge.specifier}' (${edge.to})`);
      }
    }
  }
  return found.sort();
}

/** Files reachable from `start` over local edges (start included). */
export function reachable(
  graph: ImportGraph,
  start: string,
  follow: (edge: Edge) => boolean = () => true,
): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const edge of graph.get(file) ?? []) if (edge.local && follow(edge)) queue.push(edge.to);
  }
  return seen;
}
