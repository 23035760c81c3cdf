import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, VeritermError } from '../../terminal/errors.js';
import { buildDelta, buildSnapshot } from '../../terminal/registry/build.js';
import { importRelease } from '../../terminal/registry/import.js';
import { readSigningKey } from '../../terminal/registry/keys.js';
import { parseManifest } from '../../terminal/registry/manifest.js';
import { parseRoot, type RootMetadata } from '../../terminal/registry/root.js';
import { synthesize } from '../../terminal/registry/synth.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from '../../terminal/registry/types.js';
import { list, parseExpires, positiveInt, print, requireString, type Subcommand } from './common.js';
import { readCsv, readNdjson, toBatch, toProduct, toUnit } from './input.js';

const releaseOptions = {
  scope: { type: 'string' },
  version: { type: 'string' },
  expires: { type: 'string' },
  key: { type: 'string', multiple: true },
  'ship-root': { type: 'string', multiple: true },
  out: { type: 'string' },
} as const;

const RELEASE_USAGE = `  --scope NAME        registry scope (e.g. cn-east)
  --version N         release version (deltas: default base + 1)
  --expires 7d|ISO    when terminals stop trusting it (default 7d)
  --key FILE...       release signing key(s) (private), threshold of the root's release role
  --ship-root FILE... root metadata to embed so terminals can follow rotations (oldest first)
  --out FILE          manifest file (NAME.manifest.json); the body goes next to it (NAME.body.z)`;

function signing(values: Record<string, unknown>, command: string) {
  const keys = list(values, 'key').map((f) => readSigningKey(f));
  if (keys.length === 0) throw new UsageError(`veriterm registry ${command}: --key FILE is required`);
  const roots: RootMetadata[] = list(values, 'ship-root').map((f) => parseRoot(readFileSync(f, 'utf8')));
  return { keys, options: roots.length > 0 ? { roots } : {} };
}

async function collect(values: Record<string, unknown>) {
  const products: RegistryProduct[] = [];
  const batches: RegistryBatch[] = [];
  const units: RegistryUnit[] = [];
  const deletes = {
    products: [] as string[],
    batches: [] as { productKey: string; number: string }[],
    units: [] as string[],
  };
  const input = values.input as string | undefined;
  if (input) {
    if (!/\.(nd)?jsonl?$/.test(input))
      throw new UsageError(
        `--input ${input}: expected an .ndjson file (CSV goes in --products/--batches/--units)`,
      );
    for await (const { row, where } of readNdjson(input)) {
      const type = row.type;
      if (row.op === 'delete') {
        if (type === 'unit' && typeof row.key === 'string') deletes.units.push(row.key);
        else if (type === 'product' && typeof row.key === 'string') deletes.products.push(row.key);
        else if (type === 'batch' && typeof row.product === 'string' && typeof row.number === 'string') {
          deletes.batches.push({ productKey: row.product, number: row.number });
        } else
          throw new VeritermError(
            'bad_input',
            `${where}: delete needs type unit/product with key, or batch with product and number`,
          );
      } else if (type === 'product') products.push(toProduct(row, where));
      else if (type === 'batch') batches.push(toBatch(row, where));
      else if (type === 'unit') units.push(toUnit(row, where));
      else
        throw new VeritermError(
          'bad_input',
          `${where}: "type" must be product, batch or unit, got ${JSON.stringify(type)}`,
        );
    }
  }
  for (const f of list(values, 'products'))
    for await (const { row, where } of readCsv(f)) products.push(toProduct(row, where));
  for (const f of list(values, 'batches'))
    for await (const { row, where } of readCsv(f)) batches.push(toBatch(row, where));
  for (const f of list(values, 'units'))
    for await (const { row, where } of readCsv(f)) units.push(toUnit(row, where));
  return { products, batches, units, deletes };
}

const inputOptions = {
  input: { type: 'string' },
  products: { type: 'string', multiple: true },
  batches: { type: 'string', multiple: true },
  units: { type: 'string', multiple: true },
} as const;

export const build: Subcommand = {
  name: 'build',
  usage: `Usage: veriterm registry build (--input FILE.ndjson | --products P.csv --batches B.csv --units U.csv) [options]

NDJSON lines: {"type":"product","key","name_zh","name_en","manufacturer","spec","covered","withdrawn","split"?}
              {"type":"batch","product","number","production_date","expiry_date","recalled","recall_reason"}
              {"type":"unit","key","status","batch","sold_store","sold_at","upstream_checks"}
CSV files: a header row with the same field names (no "type" column).
${RELEASE_USAGE}`,
  options: { ...releaseOptions, ...inputOptions },
  async run(values, _p, io) {
    const out = requireString(values, 'out', 'build');
    const scope = requireString(values, 'scope', 'build');
    const version = positiveInt(values.version, '--version');
    const { keys, options } = signing(values, 'build');
    const data = await collect(values);
    if (data.deletes.units.length + data.deletes.products.length + data.deletes.batches.length > 0) {
      throw new UsageError('veriterm registry build: delete lines belong in a delta');
    }
    const files = await buildSnapshot(
      { scope, version, expires: parseExpires(values.expires, '7d'), ...data },
      keys,
      out,
      options,
    );
    const c = files.manifest.signed.content;
    print(
      io,
      `snapshot ${scope} v${version}: ${c.products} products, ${c.batches} batches, ${c.units} units\nmanifest ${files.manifestFile}\nbody ${files.bodyFile}`,
    );
    return 0;
  },
};

export const delta: Subcommand = {
  name: 'delta',
  usage: `Usage: veriterm registry delta --base-db REGISTRY.db --input CHANGES.ndjson [options]

CHANGES.ndjson: upserts as for build; deletes as {"op":"delete","type":"unit","key":...},
{"op":"delete","type":"batch","product":...,"number":...}, {"op":"delete","type":"product","key":...}.
--base-db is the publisher's own copy of the current release (veriterm registry import --db).
${RELEASE_USAGE}`,
  options: { ...releaseOptions, ...inputOptions, 'base-db': { type: 'string' } },
  async run(values, _p, io) {
    const out = requireString(values, 'out', 'delta');
    const base = requireString(values, 'base-db', 'delta');
    const scope = requireString(values, 'scope', 'delta');
    const { keys, options } = signing(values, 'delta');
    const data = await collect(values);
    const input: Parameters<typeof buildDelta>[0] = {
      scope,
      base,
      expires: parseExpires(values.expires, '7d'),
      upsert: { products: data.products, batches: data.batches, units: data.units },
      delete: data.deletes,
    };
    if (values.version !== undefined) input.version = positiveInt(values.version, '--version');
    const files = await buildDelta(input, keys, out, options);
    const s = files.manifest.signed;
    print(
      io,
      `delta ${scope} v${s.baseVersion} -> v${s.version}: ${JSON.stringify(s.records)}\nmanifest ${files.manifestFile}\nbody ${files.bodyFile}`,
    );
    return 0;
  },
};

export const synth: Subcommand = {
  name: 'synth',
  usage: `Usage: veriterm registry synth --units N [--products N] [--seed N] [options]
${RELEASE_USAGE}`,
  options: {
    ...releaseOptions,
    units: { type: 'string' },
    products: { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values, _p, io) {
    const out = requireString(values, 'out', 'synth');
    const { keys, options } = signing(values, 'synth');
    const files = await synthesize(
      {
        units: positiveInt(values.units, '--units'),
        ...(values.products !== undefined ? { products: positiveInt(values.products, '--products') } : {}),
        seed: positiveInt(values.seed, '--seed', 1),
        scope: (values.scope as string | undefined) ?? 'synth',
        version: positiveInt(values.version, '--version', 1),
        expires: parseExpires(values.expires, '7d'),
      },
      keys,
      out,
      options,
    );
    const c = files.manifest.signed.content;
    print(
      io,
      `synthetic snapshot: ${c.products} products, ${c.batches} batches, ${c.units} units, body ${files.manifest.signed.body.length} bytes\nmanifest ${files.manifestFile}`,
    );
    return 0;
  },
};

export const inspect: Subcommand = {
  name: 'inspect',
  usage: 'Usage: veriterm registry inspect MANIFEST [--json]',
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run(values, positionals, io) {
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new UsageError('veriterm registry inspect: expected one MANIFEST file');
    const m = parseManifest(readFileSync(file, 'utf8'));
    if (values.json) {
      print(io, JSON.stringify(m.signed, null, 2));
      return 0;
    }
    const s = m.signed;
    print(
      io,
      [
        `${s.kind} ${s.scope} v${s.version}${s.baseVersion ? ` (onto v${s.baseVersion})` : ''}`,
        `created ${s.created}, expires ${s.expires}, root v${s.rootVersion}`,
        `body ${s.body.file}: ${s.body.length} bytes (${s.body.rawLength} inflated), sha256 ${s.body.sha256}`,
        `content ${s.content.hash}: ${s.content.products} products, ${s.content.batches} batches, ${s.content.units} units`,
        `records ${JSON.stringify(s.records)}`,
        `signatures ${m.signatures.map((x) => x.keyid.slice(0, 16)).join(', ')}`,
        `roots shipped ${(m.roots ?? []).map((r) => `v${r.signed.version}`).join(', ') || '(none)'}`,
      ].join('\n'),
    );
    return 0;
  },
};

export const verify: Subcommand = {
  name: 'verify',
  usage: `Usage: veriterm registry verify MANIFEST (--root ROOT.json | --db REGISTRY.db) [--scope NAME]

Runs every check an import runs (root chain, signatures, threshold, scope, expiry, version, length,
SHA-256, body records, content hash), applying inside a transaction that is rolled back. A delta
needs --db (the registry it applies onto). Exit 0 = valid, 1 = refused (the code is printed).`,
  options: { root: { type: 'string' }, db: { type: 'string' }, scope: { type: 'string' } },
  positionals: true,
  async run(values, positionals, io) {
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new UsageError('veriterm registry verify: expected one MANIFEST file');
    if (!values.root && !values.db)
      throw new UsageError('veriterm registry verify: give --root ROOT.json or --db REGISTRY.db');
    const temp = values.db ? undefined : mkdtempSync(join(tmpdir(), 'veriterm-verify-'));
    try {
      const db = (values.db as string | undefined) ?? join(temp!, 'verify.db');
      const trust: Parameters<typeof importRelease>[2] = { dryRun: true };
      if (values.root) trust.pinnedRoot = values.root as string;
      if (values.scope) trust.scope = values.scope as string;
      const result = await importRelease(db, file, trust);
      if (!result.ok) {
        io.stderr.write(`veriterm registry verify: refused [${result.code}]: ${result.message}\n`);
        return 1;
      }
      print(
        io,
        `valid: ${result.kind} ${result.state.scope} v${result.state.version}, ${result.state.units} units, content ${result.state.contentHash}`,
      );
      return 0;
    } finally {
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  },
};
