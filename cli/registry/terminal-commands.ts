import { UsageError } from '../../terminal/errors.js';
import { importRelease } from '../../terminal/registry/import.js';
import { pinRoot } from '../../terminal/registry/pin.js';
import { print, requireString, type Subcommand } from './common.js';

export const importCommand: Subcommand = {
  name: 'import',
  usage: `Usage: veriterm registry import FILE|DIR --db REGISTRY.db [--root ROOT.json] [--scope NAME]

FILE is a manifest (its body next to it); DIR holds exactly one *.manifest.json.
--root pins ROOT.json when the database has no root yet (same as 'registry pin').
Refusals exit 1 and print a code: bad_signature, threshold_not_met, unknown_key, root_not_trusted,
rollback, version_conflict, expired, wrong_base, truncated, oversized, hash_mismatch, wrong_scope,
malformed. The installed registry is left as it was.`,
  options: {
    db: { type: 'string' },
    root: { type: 'string' },
    scope: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
  async run(values, positionals, io) {
    const source = positionals[0];
    if (!source || positionals.length > 1)
      throw new UsageError('veriterm registry import: expected one FILE or DIR');
    const db = requireString(values, 'db', 'import');
    const trust: Parameters<typeof importRelease>[2] = {};
    if (values.root) trust.pinnedRoot = values.root as string;
    if (values.scope) trust.scope = values.scope as string;
    const result = await importRelease(db, source, trust);
    if (values.json) print(io, JSON.stringify(result));
    if (!result.ok) {
      io.stderr.write(`veriterm registry import: refused [${result.code}]: ${result.message}\n`);
      return 1;
    }
    if (!values.json) {
      const s = result.state;
      print(
        io,
        result.applied
          ? `installed ${result.kind} ${s.scope} v${s.version}${result.previous ? ` (was v${result.previous.version})` : ''}: ${s.units} units, content ${s.contentHash}`
          : `already installed: ${s.scope} v${s.version}`,
      );
    }
    return 0;
  },
};

export const pin: Subcommand = {
  name: 'pin',
  usage: `Usage: veriterm registry pin ROOT.json --db REGISTRY.db [--scope NAME] [--replace]

Stores ROOT.json as the trusted root (it must be signed by a threshold of its own root keys).
An existing root is only advanced along its chain; --replace swaps it (and clears the registry).`,
  options: { db: { type: 'string' }, scope: { type: 'string' }, replace: { type: 'boolean' } },
  positionals: true,
  async run(values, positionals, io) {
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new UsageError('veriterm registry pin: expected one ROOT file');
    const db = requireString(values, 'db', 'pin');
    const options: Parameters<typeof pinRoot>[2] = { replace: values.replace === true };
    if (values.scope) options.scope = values.scope as string;
    const result = pinRoot(db, file, options);
    if (!result.ok) {
      io.stderr.write(`veriterm registry pin: refused [${result.code}]: ${result.message}\n`);
      return 1;
    }
    print(
      io,
      result.changed ? `pinned root v${result.rootVersion}` : `root v${result.rootVersion} already pinned`,
    );
    return 0;
  },
};
