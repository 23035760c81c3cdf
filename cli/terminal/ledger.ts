import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { openDatabase } from '../../terminal/db/open-database.js';
import { UsageError, VeritermError } from '../../terminal/errors.js';
import { publicKeyFrom } from '../../terminal/identity/terminal-key.js';
import { dayBounds, isExportDay, ledgerDayCsv } from '../../terminal/ledger/export.js';
import { LedgerReads, ledgerPaths, verifyChain } from '../../terminal/ledger/index.js';
import { type CommandIo, type CommandModule, parseCommandOrHelp } from '../args.js';

const DATA_OPTION = `  --data DIR  data directory (default: $VERITERM_DATA or ./data)`;

const VERIFY_USAGE = `Usage: veriterm ledger verify [--data DIR] [--public-key FILE]

Checks the whole chain: gap-free sequence, every prevHash, every hash recomputed from the
canonical bytes, every Ed25519 signature. The key is --public-key (SPKI PEM or raw base64
file, e.g. the key upstream enrolled), else the terminal key in DIR, else the one recorded
in the ledger. Exit 0 when intact, 1 naming the first bad record.

${DATA_OPTION}
`;

const EXPORT_USAGE = `Usage: veriterm ledger export --day YYYY-MM-DD --format csv|ndjson [--data DIR]

Prints the records whose time falls on that UTC day, in sequence order, to stdout.

${DATA_OPTION}
`;

const RECOVER_USAGE = `Usage: veriterm ledger recover --config FILE [--timeout SECONDS]

For a terminal whose terminal.db was lost (it refuses to start with ledger_missing): asks
upstream, over the terminal's own broker login, where its copy of the chain ends and which
write-offs it holds, then writes a new terminal.db that continues that chain (first record:
an alert ledger_recovered) with those write-offs restored. Needs upstream reachable
(waits --timeout seconds, default 15).
`;

/** Opens DIR's ledger read-only for `use`, or says why there is none. */
function withLedger(data: string | undefined, use: (reads: LedgerReads, keyFile: string) => number): number {
  const dataDir = data ?? process.env.VERITERM_DATA ?? './data';
  const paths = ledgerPaths(dataDir);
  if (!existsSync(paths.db))
    throw new VeritermError('ledger_missing', `No ledger at ${paths.db} (is --data right?)`);
  const db = openDatabase(paths.db, { readonly: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ledger_records'").get();
    if (!hasTable) throw new VeritermError('ledger_missing', `${paths.db} holds no ledger`);
    return use(new LedgerReads(db), paths.key);
  } finally {
    db.close();
  }
}

/** Parses a ledger subcommand's flags (no positionals), or prints its usage. */
function parse<O extends Parameters<typeof parseCommandOrHelp>[2]>(
  sub: string,
  argv: string[],
  options: O,
  usage: string,
  io: CommandIo,
) {
  return parseCommandOrHelp(`ledger ${sub}`, argv, options, { usage, io, allowPositionals: false });
}

/** `veriterm ledger verify`. */
export const verifyCommand: CommandModule = {
  async run(argv, io) {
    const options = { data: { type: 'string' }, 'public-key': { type: 'string' } } as const;
    const parsed = parse('verify', argv, options, VERIFY_USAGE, io);
    if (!parsed) return 0;
    const { values } = parsed;
    return withLedger(values.data, (reads, keyFile) => verify(reads, keyFile, values['public-key'], io));
  },
};

/** `veriterm ledger export`. */
export const exportCommand: CommandModule = {
  async run(argv, io) {
    const options = {
      data: { type: 'string' },
      day: { type: 'string' },
      format: { type: 'string' },
    } as const;
    const parsed = parse('export', argv, options, EXPORT_USAGE, io);
    if (!parsed) return 0;
    const { values } = parsed;
    return withLedger(values.data, (reads) => exportDay(reads, values.day, values.format, io));
  },
};

/** `veriterm ledger recover`. */
export const recoverCommand: CommandModule = {
  async run(argv, io) {
    const options = { config: { type: 'string', short: 'c' }, timeout: { type: 'string' } } as const;
    const parsed = parse('recover', argv, options, RECOVER_USAGE, io);
    if (!parsed) return 0;
    const { values } = parsed;
    const { recoverLedger } = await import('./ledger-recover.js');
    const seconds = values.timeout === undefined ? 15 : Number(values.timeout);
    if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 600))
      throw new UsageError(
        `veriterm ledger recover: --timeout: got '${values.timeout}'; expected seconds, 1-600`,
      );
    return recoverLedger(values.config, io, seconds * 1000);
  },
};

function verify(
  reads: LedgerReads,
  keyFile: string,
  publicKeyFile: string | undefined,
  io: CommandIo,
): number {
  let key: string;
  let keySource: string;
  if (publicKeyFile !== undefined) {
    key = readFileSync(publicKeyFile, 'utf8').trim();
    keySource = publicKeyFile;
  } else if (existsSync(keyFile)) {
    // Only the public half is derived and used; the private key is never printed.
    key = createPublicKey(createPrivateKey(readFileSync(keyFile)))
      .export({ format: 'pem', type: 'spki' })
      .toString();
    keySource = `terminal key ${keyFile}`;
  } else {
    const stored = reads.meta('public_key');
    if (!stored) throw new VeritermError('ledger_no_key', 'No public key: pass --public-key FILE');
    key = stored;
    keySource = 'key recorded in the ledger (not independent: prefer --public-key)';
  }
  // A recovered ledger (veriterm ledger recover) starts after upstream's tip: check from there.
  const baseSeq = reads.meta('base_seq');
  const baseHash = reads.meta('base_hash');
  const after = baseSeq && baseHash ? { seq: Number(baseSeq), hash: baseHash } : undefined;
  const result = verifyChain(reads.iterate(), publicKeyFrom(key), after ? { after } : {});
  if (!result.ok) {
    io.stdout.write(`ledger verify: FAILED at ${result.message} [${result.problem}]\n`);
    return 1;
  }
  const stats = reads.stats();
  io.stdout.write(
    `ledger verify: OK ${result.records} records, head seq ${result.headSeq}${result.headHash ? ` hash ${result.headHash}` : ''}\n` +
      `  signatures checked with ${keySource}\n  outbox: ${stats.pending} pending, acknowledged up to seq ${stats.lastAckedSeq}\n` +
      (after
        ? `  recovered ledger: continues upstream's chain after seq ${after.seq} (hash ${after.hash}); earlier records are upstream's\n`
        : ''),
  );
  return 0;
}

function exportDay(
  reads: LedgerReads,
  day: string | undefined,
  format: string | undefined,
  io: CommandIo,
): number {
  if (!isExportDay(day)) {
    throw new UsageError(
      `veriterm ledger export: expected --day YYYY-MM-DD, got ${day === undefined ? 'none' : `'${day}'`}`,
    );
  }
  if (format !== 'csv' && format !== 'ndjson') {
    throw new UsageError(
      `veriterm ledger export: expected --format csv or ndjson, got ${format === undefined ? 'none' : `'${format}'`}`,
    );
  }
  if (format === 'csv') {
    io.stdout.write(ledgerDayCsv(reads, day));
    return 0;
  }
  const { from, to } = dayBounds(day);
  for (const record of reads.recordsBetween(from, to)) io.stdout.write(`${JSON.stringify(record)}\n`);
  return 0;
}
