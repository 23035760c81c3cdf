import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, VeritermError } from '../../terminal/errors.js';
import { type CommandModule, parseCommandOrHelp } from '../args.js';

const ALERTS_HELP = `Usage: veriterm upstream alerts (--data DIR | --db postgres://…) [filters] [--format json|csv]

The enforcement feed: counterfeit signals upstream holds, in detection order, each with the signed
records that prove it (clones: both write-offs). Reads DIR/upstream.db read-only, or the PostgreSQL
database of 'veriterm upstream --db' (--db, or env VERITERM_UPSTREAM_DB; read-only sessions).

Filters:
  --since TIME, --until TIME   detection time (upstream's clock), ISO date or date-time;
                               since inclusive, until exclusive
  --kind KIND                  repeatable or comma-separated: clone, suspicious_report, diversion,
                               unknown_code, code_mismatch, conflict, gap, bad_chain, bad_hash,
                               bad_signature, revoked_terminal
  --source upstream|terminal   found at ingest, or the terminal's own alert record
  --store ID                   either store of the alert (a clone has two)
  --product KEY                registry product key (20-digit codes: first 7 digits; GS1: 01+GTIN)
  --code KEY                   one unit code key
  --after ID                   only alerts after this id (the feed's cursor)
  --limit N                    at most N alerts (default all)
  --format json|csv            json (default): an array of alerts with their evidence;
                               csv: one row per alert, evidence records as store/terminal#seq:hash

Save one alert as a case file:  veriterm upstream alerts --data DIR --after 41 --limit 1 > case.json
Check it offline:               veriterm upstream evidence verify case.json
See docs/enforcement.md.
`;

const VERIFY_HELP = `Usage: veriterm upstream evidence verify FILE…

Checks the evidence of enforcement alerts offline, without the upstream database: each record's
hash against its content, its Ed25519 signature against the enrolled public key in the file, and
what the alert claims (a clone's two write-offs name one code, …). FILE holds what
'veriterm upstream alerts --format json' or the HTTP feed printed: an alert, an array or a page.
Exit 0 when every alert holds, 1 when any does not.
`;

const PAGE = 500;

/** `veriterm upstream alerts`: query the enforcement feed of a data directory. */
export const alerts: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream alerts',
      argv,
      {
        data: { type: 'string' },
        db: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        kind: { type: 'string', multiple: true },
        source: { type: 'string' },
        store: { type: 'string' },
        product: { type: 'string' },
        code: { type: 'string' },
        after: { type: 'string' },
        limit: { type: 'string' },
        format: { type: 'string' },
      },
      { usage: ALERTS_HELP, io, allowPositionals: false },
    );
    if (!parsed) return 0;
    const { data, db: dbFlag, format = 'json', limit, kind, ...filters } = parsed.values;
    const database = dbFlag ?? (data ? undefined : process.env.VERITERM_UPSTREAM_DB);
    if (!data && !database)
      throw new UsageError(
        `veriterm upstream alerts: missing --data DIR or --db postgres://…\n\n${ALERTS_HELP}`,
      );
    if (data && dbFlag)
      throw new UsageError('veriterm upstream alerts: give --data DIR or --db postgres://…, not both');
    if (database !== undefined && !/^postgres(ql)?:\/\//.test(database))
      throw new UsageError(
        `veriterm upstream alerts: --db expects a postgres:// URL, got "${database.split('@').at(-1)}"`,
      );
    if (format !== 'json' && format !== 'csv')
      throw new UsageError(`veriterm upstream alerts: --format expected json or csv, got '${format}'`);
    const max = limit === undefined ? Number.POSITIVE_INFINITY : Number(limit);
    if (!Number.isInteger(max) && max !== Number.POSITIVE_INFINITY)
      throw new UsageError(`veriterm upstream alerts: --limit expected a whole number, got '${limit}'`);
    if (max < 1)
      throw new UsageError(`veriterm upstream alerts: --limit expected at least 1, got '${limit}'`);
    const { parseFeedQuery } = await import('../../upstream/enforcement/feed-query.js');
    const { csvHeader, csvRow } = await import('../../upstream/enforcement/feed-csv.js');
    let query: ReturnType<typeof parseFeedQuery>;
    try {
      query = parseFeedQuery({
        ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
        ...(kind ? { kind: kind.flatMap((k) => k.split(',')).filter(Boolean) } : {}),
      });
    } catch (e) {
      if (e instanceof VeritermError) throw new UsageError(`veriterm upstream alerts: ${e.message}`);
      throw e;
    }
    const reader = database === undefined ? await sqliteReader(data!) : await postgresReader(database);
    try {
      io.stdout.write(format === 'csv' ? csvHeader() : '[');
      let after = query.after ?? 0;
      let written = 0;
      while (written < max) {
        const page = await reader.page({ ...query, after, limit: Math.min(PAGE, max - written) });
        for (const alert of page.alerts) {
          io.stdout.write(
            format === 'csv' ? csvRow(alert) : `${written === 0 ? '\n' : ',\n'}${JSON.stringify(alert)}`,
          );
          written++;
        }
        if (page.next === null) break;
        after = page.next;
      }
      if (format === 'json') io.stdout.write(written === 0 ? ']\n' : '\n]\n');
      return 0;
    } finally {
      await reader.close();
    }
  },
};

/** The feed of DIR/upstream.db, read-only; refused when the file or its feed table is missing. */
async function sqliteReader(data: string) {
  const file = join(resolve(data), 'upstream.db');
  if (!existsSync(file)) throw new UsageError(`veriterm upstream alerts: ${file} does not exist`);
  const { openDatabase } = await import('../../terminal/db/open-database.js');
  const { sqliteFeedReader } = await import('../../upstream/enforcement/feed-query.js');
  const db = openDatabase(file, { readonly: true });
  const hasFeed = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'enf_alerts'")
    .get();
  if (!hasFeed) {
    db.close();
    throw new VeritermError(
      'feed_missing',
      `${file} has no enforcement feed yet: start this version of 'veriterm upstream' on it once`,
    );
  }
  return sqliteFeedReader(db);
}

/** The feed of a PostgreSQL upstream database (read-only sessions); refused before the first upstream ran on it. */
async function postgresReader(url: string) {
  const { postgresFeedReader, postgresHasFeed } = await import('../../upstream/storage/postgres/pg-feed.js');
  const where = url.split('@').at(-1);
  let hasFeed: boolean;
  try {
    hasFeed = await postgresHasFeed(url);
  } catch (e) {
    throw new VeritermError(
      'feed_unreachable',
      `cannot read the upstream database ${where}: ${(e as Error).message}`,
    );
  }
  if (!hasFeed)
    throw new VeritermError(
      'feed_missing',
      `the upstream database ${where} has no enforcement feed yet: start this version of 'veriterm upstream --db' on it once`,
    );
  return postgresFeedReader(url);
}

/** `veriterm upstream evidence verify FILE…`: check case files offline. */
export const evidenceVerify: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp('upstream evidence verify', argv, {}, { usage: VERIFY_HELP, io });
    if (!parsed) return 0;
    if (parsed.positionals.length === 0)
      throw new UsageError(`veriterm upstream evidence verify: name at least one FILE\n\n${VERIFY_HELP}`);
    const { MAX_EVIDENCE_BYTES, verifyEvidenceText } = await import(
      '../../upstream/enforcement/evidence-file.js'
    );
    let allOk = true;
    for (const file of parsed.positionals) {
      if (!existsSync(file))
        throw new UsageError(`veriterm upstream evidence verify: ${file} does not exist`);
      if (statSync(file).size > MAX_EVIDENCE_BYTES)
        throw new UsageError(
          `veriterm upstream evidence verify: ${file} is over ${MAX_EVIDENCE_BYTES} bytes; split it`,
        );
      for (const verdict of verifyEvidenceText(readFileSync(file, 'utf8'))) {
        allOk &&= verdict.ok;
        const records = verdict.records
          .map(
            (r) =>
              `  ${r.ok ? 'ok ' : 'BAD'} ${r.role} ${r.storeId}/${r.terminalId} seq ${r.seq}: ${r.found}`,
          )
          .join('\n');
        io.stdout.write(
          `${file}: ${verdict.label}: ${verdict.ok ? 'VERIFIED' : 'FAILED'}\n${records ? `${records}\n` : ''}` +
            verdict.problems.map((p) => `  problem: ${p}\n`).join(''),
        );
      }
    }
    return allOk ? 0 : 1;
  },
};
