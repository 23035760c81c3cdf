import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../terminal/errors.js';
import { issueEnrolment, issueEnrolmentInPostgres } from '../../upstream/enrolment-issue.js';
import { ENROLMENT_ROOT_FILE, ENROLMENT_SETTINGS_FILE } from '../../upstream/enrolment-start.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm upstream enrol --data DIR --store ID --terminal ID [--scope S] [--ttl-minutes N]
       (--scope defaults to the only scope with releases: in the database with --db postgres://…,
        else under DIR/registry)
       (or --db FILE --root FILE instead of --data: upstream.db and registry-keys/root.json)
       (with --db postgres://… (or env VERITERM_UPSTREAM_DB) the code goes into the PostgreSQL
        database of 'veriterm upstream --db', where every worker answers it)

Prints a one-time enrolment code for one terminal and the registry root fingerprint the
technician must see on the terminal's screen. The running upstream answers the code once.
`;

/** `veriterm upstream enrol …` */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'upstream enrol',
    argv,
    {
      data: { type: 'string' },
      db: { type: 'string' },
      root: { type: 'string' },
      store: { type: 'string' },
      terminal: { type: 'string' },
      scope: { type: 'string' },
      'ttl-minutes': { type: 'string' },
    },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  values.db ??= process.env.VERITERM_UPSTREAM_DB?.match(/^postgres(ql)?:\/\//)
    ? process.env.VERITERM_UPSTREAM_DB
    : undefined;
  const postgres = values.db !== undefined && /^postgres(ql)?:\/\//.test(values.db);
  if (values.data) {
    values.db ??= join(values.data, 'upstream.db');
    values.root ??= join(values.data, ENROLMENT_ROOT_FILE);
  }
  const missing = (['db', 'root', 'store', 'terminal'] as const).filter((k) => !values[k]);
  if (missing.length > 0)
    throw new UsageError(
      `veriterm upstream enrol: missing ${missing.map((m) => `--${m}`).join(', ')}\n\n${HELP}`,
    );
  const ttl = values['ttl-minutes'] === undefined ? 30 : Number(values['ttl-minutes']);
  if (!Number.isFinite(ttl) || ttl <= 0)
    throw new UsageError(
      `veriterm upstream enrol: --ttl-minutes expects a positive number, got ${values['ttl-minutes']}`,
    );
  if (values.data && !existsSync(join(values.data, ENROLMENT_SETTINGS_FILE))) {
    io.stderr.write(
      `warning: ${join(values.data, ENROLMENT_SETTINGS_FILE)} is missing, so the running upstream does not answer enrolments (docs/provisioning.md, "Upstream side of enrolment")\n`,
    );
  }
  const request = {
    rootFile: values.root!,
    storeId: values.store!,
    terminalId: values.terminal!,
    ttlMs: ttl * 60_000,
  };
  // The scope a terminal follows defaults to the only one this upstream publishes: on PostgreSQL
  // the scopes with releases in the database (the workers' releases live there), else the
  // directories under DIR/registry.
  const issued = postgres
    ? await issueEnrolmentInPostgres({
        database: values.db!,
        ...request,
        scope: values.scope ?? ((scopes) => onlyScope(scopes, 'with releases in the database')),
      })
    : issueEnrolment({ dbFile: values.db!, ...request, scope: values.scope ?? localScope(values.data) });
  io.stdout.write(
    `Enrolment code for store ${values.store} terminal ${values.terminal}: ${issued.code}\n` +
      `Valid until ${issued.expiresAt}, once.\n` +
      `Registry root fingerprint: ${issued.fingerprint}\n`,
  );
  return 0;
}

/** The only directory under DIR/registry (the SQLite engine's releases). */
function localScope(data: string | undefined): string {
  if (!data)
    throw new UsageError(
      'veriterm upstream enrol: --scope S is required (the registry scope the terminal follows)',
    );
  const dir = join(data, 'registry');
  const scopes = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  return onlyScope(scopes, `under ${dir}`);
}

/** The one scope there is, or a usage error naming those there are (none, or several to choose from). */
function onlyScope(scopes: readonly string[], where: string): string {
  if (scopes.length === 1) return scopes[0]!;
  throw new UsageError(
    scopes.length === 0
      ? `veriterm upstream enrol: no registry scope ${where}; pass --scope S (the scope the terminal follows)`
      : `veriterm upstream enrol: ${scopes.length} registry scopes ${where} (${scopes.join(', ')}); pass --scope with the one the terminal follows`,
  );
}
