import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../terminal/errors.js';
import { type CommandModule, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm upstream deliveries import-local --data DIR --db postgres://…

Once, when a deployment moves to PostgreSQL: copies the delivery notes this worker kept in
DIR/upstream.db before (notes sent and their outcomes, goods receipts, diversion alerts, transfer
notes) into the database every worker shares (--db, or env VERITERM_UPSTREAM_DB), so that
"veriterm upstream deliveries --db …" lists them. Rows already there are kept (a note's outcome is
filled in only where the database has none): running it again, or for every worker's directory,
copies nothing twice. One transaction: all of it or nothing. Workers may keep running.
`;

const LABELS: Record<string, string> = {
  up_delivery_notes: 'delivery notes (or their outcomes)',
  up_delivery_receipts: 'goods receipts',
  up_diversion_alerts: 'diversion alerts',
  up_transfer_notes: 'transfer notes',
};

/** `veriterm upstream deliveries import-local`. */
export const importLocal: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream deliveries import-local',
      argv,
      { data: { type: 'string' }, db: { type: 'string' } },
      { usage: HELP, io, allowPositionals: false },
    );
    if (!parsed) return 0;
    const { values } = parsed;
    const database = values.db ?? process.env.VERITERM_UPSTREAM_DB;
    if (!values.data || database === undefined)
      throw new UsageError(
        `veriterm upstream deliveries import-local: needs --data DIR and --db postgres://…\n\n${HELP}`,
      );
    if (!/^postgres(ql)?:\/\//.test(database))
      throw new UsageError(
        `veriterm upstream deliveries import-local: --db expects a postgres:// URL, got "${database.split('@').at(-1)}"`,
      );
    const file = join(resolve(values.data), 'upstream.db');
    if (!existsSync(file))
      throw new UsageError(
        `veriterm upstream deliveries import-local: no ${file} (the SQLite database the worker kept before PostgreSQL)`,
      );
    const { openDatabase } = await import('../../terminal/db/open-database.js');
    const { silentLogger } = await import('../../terminal/logger.js');
    const { PostgresUpstreamStorage } = await import('../../upstream/storage/postgres/pg-storage.js');
    const { importLocalDeliveries } = await import('../../upstream/storage/postgres/pg-import-local.js');
    const local = openDatabase(file, { readonly: true });
    try {
      const storage = await PostgresUpstreamStorage.open({
        url: database,
        logger: silentLogger(),
        poolSize: 1,
      });
      try {
        const tables = await importLocalDeliveries(local, storage.pool);
        io.stdout.write(`from ${file}:\n`);
        for (const t of tables)
          io.stdout.write(
            `  ${LABELS[t.table] ?? t.table}: ${t.copied} copied, ${t.local - t.copied} already there (${t.local} in the file)\n`,
          );
        return 0;
      } finally {
        await storage.close();
      }
    } finally {
      local.close();
    }
  },
};
