import { readFileSync } from 'node:fs';
import { formatConfigIssues, loadConfigFile } from '../../terminal/config/load-config.js';
import { UsageError } from '../../terminal/errors.js';
import { importDeliveryNote } from '../../terminal/receiving/import-note.js';
import { ReceivingStore, readNotes } from '../../terminal/receiving/receiving-store.js';
import { parseEd25519PublicKey } from '../../terminal/sync/command-signing.js';
import { syncOptionsFromConfig } from '../../terminal/sync/options-from-config.js';
import { SyncStore } from '../../terminal/sync/sync-store.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';
import { dataDirOf, hasReceiving, openTerminalDb } from './open-terminal-db.js';

const USAGE = `Usage: veriterm deliveries <import|list> [options]

  import FILE --config FILE
      Imports a signed delivery note (docs/receiving.md) for a store without an upstream link:
      checked exactly as one arriving over MQTT (signature by the upstream keys pinned at
      provisioning, addressed to this store, not expired, never seen, a well-formed tree) and
      stored in one transaction, or refused with a named code and nothing kept. Exit 0 imported
      (or the same note already imported), 1 refused.
  list [--data DIR] [--json]
      The delivery notes on this terminal: id, state, supplier, units, expected arrival.

  --data DIR  data directory (default: $VERITERM_DATA or ./data; import takes the config's)
`;

/** Largest note file read: a 200,000-unit note is about 6 MB of JSON. */
const MAX_NOTE_BYTES = 32 * 1024 * 1024;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'deliveries',
    argv,
    { data: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    { usage: USAGE, io },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError(`veriterm deliveries list: unexpected argument '${rest[0]}'`);
    return list(dataDirOf(values.data), values.json === true, io);
  }
  if (sub === 'import') {
    if (rest.length !== 1) throw new UsageError(`veriterm deliveries import: expected one FILE\n\n${USAGE}`);
    if (!values.config) throw new UsageError('veriterm deliveries import: --config FILE is required');
    return importFile(rest[0]!, values.config, io);
  }
  throw new UsageError(
    `veriterm deliveries: expected a subcommand 'import' or 'list', got ${sub === undefined ? 'none' : `'${sub}'`}\n\n${USAGE}`,
  );
}

function importFile(file: string, configFile: string, io: CommandIo): number {
  const loaded = loadConfigFile(configFile);
  if (!loaded.ok) {
    io.stderr.write(`veriterm deliveries import: ${configFile}:\n${formatConfigIssues(loaded.issues)}\n`);
    return 1;
  }
  const { config } = loaded;
  // The same keys the downlink trusts (sync.commands.publicKeys plus the provisioned key file);
  // the rest of the sync section (broker, credentials) is not needed to import from a file.
  const commands = (
    config.sync
      ? (syncOptionsFromConfig({ ...config.sync, credentialsFile: undefined }) as { commands?: unknown })
          .commands
      : undefined
  ) as { publicKeys?: string[]; maxClockSkewMs?: number } | undefined;
  const keys = (commands?.publicKeys ?? []).map(parseEd25519PublicKey);
  if (keys.length === 0) {
    io.stderr.write(
      'veriterm deliveries import: no upstream key is pinned in the config (sync.commandKeysFile from provisioning, or sync.commands.publicKeys): a note cannot be trusted\n',
    );
    return 1;
  }
  const text = readFileSync(file);
  if (text.length > MAX_NOTE_BYTES) {
    io.stderr.write(
      `veriterm deliveries import: ${file} is ${text.length} bytes; at most ${MAX_NOTE_BYTES}\n`,
    );
    return 1;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (error) {
    io.stderr.write(`veriterm deliveries import: ${file} is not JSON (${(error as Error).message})\n`);
    return 1;
  }
  const db = openTerminalDb(config.dataDir);
  try {
    const result = importDeliveryNote(raw, {
      store: new ReceivingStore(db),
      nonces: new SyncStore(db),
      keys,
      storeId: config.terminal.storeId,
      maxClockSkewMs: commands?.maxClockSkewMs ?? 300_000,
      nowMs: Date.now(),
    });
    if (!result.ok) {
      io.stderr.write(`veriterm deliveries import: refused (${result.code}): ${result.message}\n`);
      return 1;
    }
    io.stdout.write(
      `veriterm deliveries import: ${result.deliveryId} ${result.status} (${result.units} units)\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}

function list(dataDir: string, json: boolean, io: CommandIo): number {
  const db = openTerminalDb(dataDir, { readonly: true });
  try {
    const notes = hasReceiving(db) ? readNotes(db) : [];
    if (json) {
      io.stdout.write(`${JSON.stringify(notes)}\n`);
      return 0;
    }
    if (notes.length === 0) {
      io.stdout.write('no delivery notes\n');
      return 0;
    }
    for (const n of notes)
      io.stdout.write(
        `${n.deliveryId}  ${n.state}${n.outcome ? ` (${n.outcome})` : ''}  ${n.supplierName}  ${n.units} units  expected ${n.expectedArrival}\n`,
      );
    return 0;
  } finally {
    db.close();
  }
}
