import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildGraph,
  COMPUTED_SPECIFIER,
  graphOf,
  type ImportGraph,
  importCycles,
  importSpecifiers,
  type Rule,
  reachable,
  resolveSpecifier,
  ruleViolations,
} from '../../helpers/import-graph.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

// The boundaries of DESIGN.md "Layers", checked on the import graph of every source file
// (docs/testing.md "Layering" lists the rules and the allow-lists):
// - no import cycles, type imports included;
// - kiosk-ui imports one wire module of the server, type-only, and that module is plain types;
// - upstream/ and provisioning/ import only the shared kernel and the contracts DESIGN.md names,
//   plus the explicit extensions below, each with its reason; the kernel and contracts stay closed;
// - drivers/ imports nothing from terminal/; terminal/ and drivers/ import nothing from
//   provisioning/, upstream/ or cli/;
// - route files build no services (the composition root does, and passes them in).
// cli/ (and the command modules still beside their areas) is the composition layer: it may import
// everything, and only the cycle rule applies to it.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCE_DIRS = ['terminal', 'drivers', 'provisioning', 'upstream', 'cli', 'kiosk-ui/src'];

/** The one server module kiosk-ui may import (type-only). */
const WIRE_MODULE = 'terminal/http/wire-types.ts';

interface Allowed {
  /** A file, or a folder ending in '/'. */
  path: string;
  why: string;
}

/** The shared kernel (DESIGN.md "Layers"; issue #17). */
const KERNEL: Allowed[] = [
  { path: 'terminal/errors.ts', why: 'typed errors with a code and a remedy' },
  { path: 'terminal/logger.ts', why: 'the one logger' },
  { path: 'terminal/db/', why: 'SQLite opening, migrations, storage faults, the writer worker' },
  { path: 'terminal/identity/', why: "the terminal's key and Ed25519" },
  { path: 'terminal/threads/', why: 'worker threads and their requests' },
  { path: 'terminal/package-root.ts', why: 'where the installed package lives (systemd units name it)' },
  { path: 'terminal/seeded-random.ts', why: 'one seeded generator for synthetic data and simulations' },
];

/** Contracts DESIGN.md lets upstream/ and provisioning/ share with the terminal. */
const CONTRACTS: Allowed[] = [
  { path: 'terminal/registry/', why: 'the signed registry format, its authoring and verified apply' },
  { path: 'terminal/ledger/payloads.ts', why: 'ledger payload types, one per record type' },
  { path: 'terminal/ledger/types.ts', why: 'ledger record types' },
  {
    path: 'terminal/ledger/record-decoders.ts',
    why: 'one payload decoder per record type, shared with upstream',
  },
  {
    path: 'terminal/ledger/canonical.ts',
    why: "a record's canonical bytes and hash, which upstream verifies",
  },
  { path: 'terminal/sync/link.ts', why: 'the MQTT link' },
  { path: 'terminal/sync/protocol.ts', why: 'the sync protocol (batches, acks, registry transfer)' },
  { path: 'terminal/sync/topics.ts', why: 'the MQTT topic tree' },
  { path: 'terminal/sync/ledger-protocol.ts', why: 'the ledger recovery protocol' },
  { path: 'terminal/sync/command-signing.ts', why: 'signed commands and acks, as both ends check them' },
  {
    path: 'terminal/receiving/note-format.ts',
    why: 'the delivery note format: upstream checks a note body before it signs and sends it',
  },
  { path: 'terminal/verify/types.ts', why: 'verdict kinds, carried in sale and alert payloads' },
  { path: 'terminal/codes/types.ts', why: 'parsed code shapes the verdict types name' },
  {
    path: 'terminal/codes/check-digit.ts',
    why: 'registry demo and synth make codes with valid check digits',
  },
];

/** What provisioning/ needs beyond the kernel and contracts: it sets up and checks the terminal's own state. */
const PROVISIONING_EXTRAS: Allowed[] = [
  {
    path: 'terminal/config/',
    why: 'provisioning writes the config file and doctor checks it against the schema',
  },
  {
    path: 'terminal/ledger/index.ts',
    why: 'doctor and decommission open the ledger to check its chain and backlog',
  },
  { path: 'terminal/ledger/paths.ts', why: "doctor names the ledger's file as the terminal opens it" },
  {
    path: 'terminal/ledger/anchor.ts',
    why: "doctor checks the ledger's anchor (a missing ledger refuses to start)",
  },
  { path: 'terminal/sync/index.ts', why: "the first registry is fetched over the terminal's own link" },
  {
    path: 'terminal/sync/registry-applier.ts',
    why: 'the first registry is applied as the terminal applies one',
  },
  {
    path: 'terminal/sync/options-from-config.ts',
    why: 'broker options from the config, as the terminal reads them',
  },
  { path: 'terminal/codes/', why: "the technician's test scan is read by the terminal's code reader" },
  { path: 'terminal/receipts/', why: "the test slip is rendered by the terminal's receipt renderer" },
];

/** Files whose computed `import()` loads a module outside this graph (so nothing to follow). */
const COMPUTED_IMPORTS: Allowed[] = [
  {
    path: 'provisioning/runtime-check.ts',
    why: 'loads bin/build-state.js of the runtime it checks (an installed copy), to ask it whether dist/ is current',
  },
];

/** The composition layer: may import everything (the one CLI folder: dispatcher, tables, commands). */
const COMMAND_MODULES = ['cli/'];

const under = (paths: readonly string[]) => (file: string) =>
  paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));
const allowedBy = (list: readonly Allowed[]) => under(list.map((a) => a.path));
const isCommandModule = under(COMMAND_MODULES);
const inDir = (dir: string) => (file: string) => file.startsWith(`${dir}/`);
const sharedWithTerminal = allowedBy([...KERNEL, ...CONTRACTS]);

const RULES: Rule[] = [
  {
    name: 'kiosk-ui imports only the wire module',
    from: inDir('kiosk-ui/src'),
    forbid: (to) => !to.startsWith('kiosk-ui/'),
    allow: (to) => to === WIRE_MODULE,
  },
  {
    name: 'upstream/ imports only the kernel and contracts of terminal/',
    from: (f) => inDir('upstream')(f) && !isCommandModule(f),
    forbid: inDir('terminal'),
    allow: sharedWithTerminal,
  },
  {
    name: 'provisioning/ imports only the kernel, contracts and its listed extras of terminal/',
    from: (f) => inDir('provisioning')(f) && !isCommandModule(f),
    forbid: inDir('terminal'),
    allow: allowedBy([...KERNEL, ...CONTRACTS, ...PROVISIONING_EXTRAS]),
  },
  {
    name: 'the kernel and contracts import only each other',
    from: (f) => sharedWithTerminal(f) && !isCommandModule(f),
    forbid: inDir('terminal'),
    allow: sharedWithTerminal,
  },
  {
    name: 'drivers/ imports nothing from terminal/',
    from: inDir('drivers'),
    forbid: inDir('terminal'),
  },
  {
    name: 'provisioning/ and upstream/ import nothing from cli/ (every command module lives there)',
    from: (f) => inDir('provisioning')(f) || inDir('upstream')(f),
    forbid: inDir('cli'),
  },
  {
    name: 'terminal/ and drivers/ import nothing from provisioning/, upstream/ or cli/',
    from: (f) => inDir('terminal')(f) || inDir('drivers')(f),
    forbid: (to) => ['provisioning', 'upstream', 'cli'].some((dir) => inDir(dir)(to)),
  },
];

/** Everything wrong with a graph: each cycle, each forbidden import, and a wire module that is not plain types. */
function layeringViolations(graph: ImportGraph): string[] {
  const found = [...importCycles(graph).map((c) => `import cycle: ${c}`), ...ruleViolations(graph, RULES)];
  for (const [file, edges] of graph) {
    if (COMPUTED_IMPORTS.some((a) => a.path === file)) continue;
    for (const e of edges)
      if (e.specifier === COMPUTED_SPECIFIER)
        found.push(
          `imports name their module: ${file}:${e.line} imports a computed specifier the graph cannot follow`,
        );
  }
  for (const [file, edges] of graph) {
    if (!inDir('kiosk-ui/src')(file)) continue;
    for (const e of edges)
      if (e.to === WIRE_MODULE && !e.typeOnly)
        found.push(
          `kiosk-ui imports the wire module type-only: ${file}:${e.line} imports values from '${e.specifier}'`,
        );
  }
  for (const file of reachable(graph, WIRE_MODULE)) {
    for (const e of graph.get(file) ?? []) {
      if (!e.local)
        found.push(
          `the wire module's imports are plain types: ${file}:${e.line} (reached from ${WIRE_MODULE}) imports '${e.to}'`,
        );
    }
  }
  return found.sort();
}

const graph = buildGraph(ROOT, SOURCE_DIRS);
const edgesFrom = (dir: string) => [...graph].flatMap(([file, edges]) => (inDir(dir)(file) ? edges : []));

describe('the import graph', () => {
  it('finds every kind of import, type-only or not, and ignores comments and strings', () => {
    const source = [
      "import { a } from '../upstream/a.js';",
      "import type {\n  B,\n  C,\n} from '../provisioning/b.js';",
      "export { d } from './d.js';",
      "import './side-effect.js';",
      "const e = await import('../upstream/e.js');",
      "// import { f } from '../upstream/f.js';",
      "/* await import('../upstream/g.js') */",
      "const url = 'mqtt://host'; const h = 'from'; const i = \"import('./i.js')\";",
      "type J = import('./j.js').J;",
      "import { type K, type L } from './k.js';",
      "export type * from './m.js';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a computed import()
      'const n = await import(`./n.js`); const o = await import(`./${name}.js`);',
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      { specifier: '../upstream/a.js', static: true, typeOnly: false, line: 1 },
      { specifier: '../provisioning/b.js', static: true, typeOnly: true, line: 5 },
      { specifier: './d.js', static: true, typeOnly: false, line: 6 },
      { specifier: './side-effect.js', static: true, typeOnly: false, line: 7 },
      { specifier: '../upstream/e.js', static: false, typeOnly: false, line: 8 },
      { specifier: './j.js', static: false, typeOnly: true, line: 12 },
      { specifier: './k.js', static: true, typeOnly: true, line: 13 },
      { specifier: './m.js', static: true, typeOnly: true, line: 14 },
      { specifier: './n.js', static: false, typeOnly: false, line: 15 },
      { specifier: COMPUTED_SPECIFIER, static: false, typeOnly: false, line: 15 },
    ]);
  });

  it('resolves NodeNext specifiers to the .ts/.tsx files they name', () => {
    const files = new Set(['terminal/a.ts', 'kiosk-ui/src/B.tsx', 'terminal/c/index.ts']);
    const exists = (p: string) => files.has(p);
    expect(resolveSpecifier('terminal/x/y.ts', '../a.js', exists)).toBe('terminal/a.ts');
    expect(resolveSpecifier('kiosk-ui/src/m.ts', './B.js', exists)).toBe('kiosk-ui/src/B.tsx');
    expect(resolveSpecifier('terminal/m.ts', './c', exists)).toBe('terminal/c/index.ts');
    expect(resolveSpecifier('terminal/m.ts', 'fastify', exists)).toBeUndefined();
  });

  it('covers every layer of the real tree (the checks below are not vacuous)', () => {
    const files = [...graph.keys()];
    for (const dir of SOURCE_DIRS) expect(files.filter(inDir(dir)).length, dir).toBeGreaterThan(0);
    expect(files.length).toBeGreaterThan(250);
    const edges = [...graph.values()].flat();
    expect(edges.filter((e) => e.local).length).toBeGreaterThan(1000);
    // Known edges of each kind: a type-only import, a dynamic import, an `export … from`.
    expect(graph.get('kiosk-ui/src/shell/api.ts')?.some((e) => e.to === WIRE_MODULE && e.typeOnly)).toBe(
      true,
    );
    expect(edgesFrom('cli').some((e) => !e.static && e.local)).toBe(true);
    expect(graph.get('terminal/ledger/index.ts')?.some((e) => e.to === 'terminal/ledger/ledger.ts')).toBe(
      true,
    );
  });
});

describe('the layering checker fails on what it must catch', () => {
  it('names a cycle as a path, type imports included', () => {
    const cyclic = graphOf({
      'terminal/a.ts': ['terminal/b.ts'],
      'terminal/b.ts': ['terminal/c.ts', 'zod'],
      'terminal/c.ts': ['terminal/a.ts'],
      'terminal/d.ts': ['terminal/d.ts'],
      'terminal/e.ts': ['terminal/a.ts'],
    });
    expect(importCycles(cyclic)).toEqual([
      'terminal/a.ts → terminal/b.ts → terminal/c.ts → terminal/a.ts (component of 3: terminal/a.ts, terminal/b.ts, terminal/c.ts)',
      'terminal/d.ts → terminal/d.ts',
    ]);
  });

  it('names each forbidden import with its file and line', () => {
    const bad = graphOf({
      'kiosk-ui/src/page.tsx': ['kiosk-ui/src/api.ts', 'terminal/printing/queue-store.ts', WIRE_MODULE],
      'kiosk-ui/src/api.ts': ['preact'],
      [WIRE_MODULE]: ['terminal/verify/types.ts'],
      'terminal/verify/types.ts': ['node:fs'],
      'upstream/ingest.ts': ['terminal/logger.ts', 'terminal/lanes/checkout.ts'],
      'cli/upstream/run.ts': ['terminal/main.ts'],
      'upstream/enrol.ts': ['cli/dispatch.ts'],
      'provisioning/doctor.ts': ['terminal/config/schema.ts', 'terminal/verify/verifier.ts'],
      'drivers/printer/x.ts': ['terminal/receipts/layout.ts'],
      'terminal/main.ts': ['upstream/ingest.ts', COMPUTED_SPECIFIER],
      'cli/main.ts': ['terminal/main.ts', 'upstream/ingest.ts', 'provisioning/doctor.ts'],
    });
    expect(layeringViolations(bad)).toEqual(
      [
        "kiosk-ui imports only the wire module: kiosk-ui/src/page.tsx:2 imports 'terminal/printing/queue-store.ts' (terminal/printing/queue-store.ts)",
        "kiosk-ui imports the wire module type-only: kiosk-ui/src/page.tsx:3 imports values from 'terminal/http/wire-types.ts'",
        'imports name their module: terminal/main.ts:2 imports a computed specifier the graph cannot follow',
        "provisioning/ and upstream/ import nothing from cli/ (every command module lives there): upstream/enrol.ts:1 imports 'cli/dispatch.ts' (cli/dispatch.ts)",
        "provisioning/ imports only the kernel, contracts and its listed extras of terminal/: provisioning/doctor.ts:2 imports 'terminal/verify/verifier.ts' (terminal/verify/verifier.ts)",
        "terminal/ and drivers/ import nothing from provisioning/, upstream/ or cli/: terminal/main.ts:1 imports 'upstream/ingest.ts' (upstream/ingest.ts)",
        "drivers/ imports nothing from terminal/: drivers/printer/x.ts:1 imports 'terminal/receipts/layout.ts' (terminal/receipts/layout.ts)",
        "upstream/ imports only the kernel and contracts of terminal/: upstream/ingest.ts:2 imports 'terminal/lanes/checkout.ts' (terminal/lanes/checkout.ts)",
        "the wire module's imports are plain types: terminal/verify/types.ts:1 (reached from terminal/http/wire-types.ts) imports 'node:fs'",
      ].sort(),
    );
  });

  const temp = makeTempDir('veriterm-layering-');
  afterAll(temp.cleanup);

  it('finds a cycle made of type imports in real files', () => {
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(temp.dir, path)), { recursive: true });
      writeFileSync(join(temp.dir, path), text);
    };
    write(
      'terminal/http/server.ts',
      "import type { Deps } from './routes/health.js';\nexport const x = 1;\n",
    );
    write(
      'terminal/http/routes/health.ts',
      "import type { x } from '../server.js';\nexport interface Deps { x: typeof x }\n",
    );
    write('kiosk-ui/src/page.tsx', "import { PrintQueueStore } from '../../terminal/http/server.js';\n");
    const tree = buildGraph(temp.dir, ['terminal', 'kiosk-ui/src']);
    expect(layeringViolations(tree)).toEqual([
      'import cycle: terminal/http/routes/health.ts → terminal/http/server.ts → terminal/http/routes/health.ts',
      "kiosk-ui imports only the wire module: kiosk-ui/src/page.tsx:1 imports '../../terminal/http/server.js' (terminal/http/server.ts)",
    ]);
  });
});

describe('the real tree keeps the layering', () => {
  it('has no import cycles, type imports included', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('keeps every rule and allow-list', () => {
    expect(layeringViolations(graph)).toEqual([]);
  });

  it('lists no allow-list entry that names nothing', () => {
    const files = [...graph.keys()];
    const stale = [...KERNEL, ...CONTRACTS, ...PROVISIONING_EXTRAS, ...COMPUTED_IMPORTS]
      .map((a) => a.path)
      .filter((p) => !files.some((f) => (p.endsWith('/') ? f.startsWith(p) : f === p)));
    expect(stale).toEqual([]);
  });

  it('route files build no services or stores: the composition root passes them in', () => {
    const builders = [...graph.keys()]
      .filter((f) => f.startsWith('terminal/http/'))
      .flatMap((file) =>
        readFileSync(join(ROOT, file), 'utf8')
          .split('\n')
          .flatMap((text, i) =>
            /\bnew\s+[A-Z]\w*(Service|Store|Ledger|Queue|Batcher)\s*\(/.test(text)
              ? [`${file}:${i + 1}: ${text.trim()}`]
              : [],
          ),
      );
    expect(builders).toEqual([]);
  });

  it('the veriterm entry loads command modules lazily: no static path from cli/main.ts reaches one', () => {
    const eager = [...reachable(graph, 'cli/main.ts', (e) => e.static)];
    expect(eager).toContain('cli/dispatch.ts');
    expect(eager).toContain('cli/registry/commands.ts');
    // Only the tables (commands.ts) and the dispatcher load eagerly; every command module is lazy.
    expect(
      eager.filter(
        (f) =>
          /^(provisioning|upstream|drivers)\//.test(f) ||
          (/^cli\/[^/]+\//.test(f) && !f.endsWith('/commands.ts')) ||
          f === 'terminal/main.ts',
      ),
    ).toEqual([]);
  });
});
