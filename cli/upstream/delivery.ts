import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, VeritermError } from '../../terminal/errors.js';
import { createLogger } from '../../terminal/logger.js';
import { type CommandModule, parseCommandOrHelp } from '../args.js';
import { CONNECTION_FLAGS, CONNECTION_OPTIONS, connection, oneOffUpstream } from './upstream.js';

const SEND_HELP = `Usage: veriterm upstream delivery send --broker URL --data DIR --store S --terminal T [--db URL] FILE

Signs the delivery note body in FILE (the "note" part of docs/receiving.md's format: deliveryId,
supplier, expectedArrival, pallets/cases/units) with DIR/keys/command.key, sends it to terminal T's
downlink (vt/S/T/deliveries) and prints the terminal's outcome: accepted (with its units),
already_imported, or refused with the named code. Exit 0 accepted or already imported, 1 refused,
3 no outcome in time or no broker connection within 15 s (a sent note stays queued at the broker until it expires; "veriterm upstream
deliveries" shows its outcome once it comes).

${CONNECTION_OPTIONS}
  --store ID, --terminal ID   the store and its receiving terminal (required)
  --expires-in HOURS     how long the note is valid and queued for an offline terminal (default 168)
  --wait SECONDS         how long to wait for the outcome (default 60)
  --db URL               the upstream's PostgreSQL database (postgres://…; also env VERITERM_UPSTREAM_DB):
                         the note is kept there, where every worker records its outcome
`;

const LIST_HELP = `Usage: veriterm upstream deliveries --data DIR [--db URL] [--store S] [--json]

The delivery notes this upstream sent (outcome per note) with the goods receipts the stores sent
back (accepted units, exceptions), receipts of deliveries imported from a file at the store, and
the diversion alerts (a unit sold where it was never checked in). Transfer notes (a store's
transfer to another, docs/stock.md) are listed first with their state: delivered, pending
(not answered yet, or no receiving terminal known) or refused.

With --db postgres://… (or env VERITERM_UPSTREAM_DB) it reads the PostgreSQL database that every
worker shares, instead of DIR/upstream.db.
`;

/** Largest note file read (a terminal's default sync.deliveries.maxNoteBytes). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** True once the upstream's link is up (false after `ms`). */
async function connectedWithin(
  upstream: { connected(): boolean; events: { once(event: 'connected', fn: () => void): unknown } },
  ms: number,
): Promise<boolean> {
  if (upstream.connected()) return true;
  let timer: NodeJS.Timeout | undefined;
  const up = await Promise.race([
    new Promise<boolean>((resolve) => upstream.events.once('connected', () => resolve(true))),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return up;
}

/** `veriterm upstream delivery send FILE`. */
export const send: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream delivery send',
      argv,
      {
        ...CONNECTION_FLAGS,
        store: { type: 'string' },
        terminal: { type: 'string' },
        'expires-in': { type: 'string' },
        wait: { type: 'string' },
        db: { type: 'string' },
      },
      { usage: SEND_HELP, io },
    );
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (!values.store || !values.terminal || positionals.length !== 1)
      throw new UsageError(
        `veriterm upstream delivery send: needs --store, --terminal and one FILE\n\n${SEND_HELP}`,
      );
    const hours = Number(values['expires-in'] ?? 168);
    const waitSeconds = Number(values.wait ?? 60);
    if (!(hours > 0) || !(waitSeconds > 0))
      throw new UsageError('veriterm upstream delivery send: --expires-in and --wait take a positive number');
    const file = positionals[0]!;
    if (!existsSync(file)) throw new UsageError(`veriterm upstream delivery send: ${file} does not exist`);
    if (statSync(file).size > MAX_FILE_BYTES)
      throw new UsageError(`veriterm upstream delivery send: ${file} is over ${MAX_FILE_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError(
        `veriterm upstream delivery send: ${file} is not JSON (${(error as Error).message})`,
      );
    }
    const { dataDir, options } = connection(values, SEND_HELP);
    const { checkDeliveryNoteBody } = await import('../../upstream/delivery-send.js');
    try {
      checkDeliveryNoteBody(body);
    } catch (error) {
      throw new UsageError(`veriterm upstream delivery send: ${file}: ${(error as Error).message}`);
    }
    const database = upstreamDatabase(values.db, 'veriterm upstream delivery send');
    const started = await oneOffUpstream(dataDir, options, 'delivery', database);
    const target = { storeId: values.store, terminalId: values.terminal };
    try {
      if (!(await connectedWithin(started.upstream, 15_000))) {
        io.stderr.write(
          `veriterm upstream delivery send: no connection to ${options.brokerUrl} within 15 s; nothing sent\n`,
        );
        return 3;
      }
      const outcome = await started.upstream.deliveries.send(target, body, {
        ttlMs: hours * 3600_000,
        timeoutMs: waitSeconds * 1000,
      });
      const what = `${outcome.deliveryId ?? '?'} to ${target.storeId}/${target.terminalId} (note ${outcome.id})`;
      if (outcome.status === 'refused') {
        io.stderr.write(`refused (${outcome.code}): ${outcome.message ?? ''} — ${what}\n`);
        return 1;
      }
      io.stdout.write(
        `${outcome.status}: ${what}${outcome.units !== undefined ? `, ${outcome.units} units` : ''}\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof VeritermError && error.code === 'delivery_timeout') {
        io.stderr.write(`no outcome: ${error.message}\n`);
        return 3;
      }
      throw error;
    } finally {
      await started.stop();
    }
  },
};

/** `veriterm upstream deliveries`. */
export const list: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream deliveries',
      argv,
      {
        data: { type: 'string' },
        db: { type: 'string' },
        store: { type: 'string' },
        json: { type: 'boolean' },
      },
      { usage: LIST_HELP, io },
    );
    if (!parsed) return 0;
    const { values } = parsed;
    if (!values.data)
      throw new UsageError(`veriterm upstream deliveries: --data DIR is required\n\n${LIST_HELP}`);
    const dataDir = resolve(values.data);
    const database = upstreamDatabase(values.db, 'veriterm upstream deliveries');
    const dbFile = join(dataDir, 'upstream.db');
    if (database === undefined && !existsSync(dbFile))
      throw new UsageError(`veriterm upstream deliveries: no ${dbFile}`);
    const { openUpstreamStorage } = await import('../../upstream/start-upstream.js');
    const { transferNoteLine } = await import('../../upstream/transfer-forwarder.js');
    const storage = await openUpstreamStorage({
      dataDir,
      logger: createLogger({ level: 'warn' }),
      database,
    });
    try {
      const filter = values.store ? { storeId: values.store } : {};
      const listing = await storage.deliveries.list(filter);
      const transfers = await storage.deliveries.transfers.list(filter);
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...listing, transfers })}\n`);
        return 0;
      }
      if (transfers.length > 0) {
        io.stdout.write('transfer notes (stock_out transfers owed to the receiving store):\n');
        for (const t of transfers) io.stdout.write(`  ${transferNoteLine(t)}\n`);
      }
      const receiptLine = (r: (typeof listing.otherReceipts)[number]) =>
        `    receipt ${r.outcome}: ${r.acceptedUnits} of ${r.expectedUnits} units accepted, ${r.exceptions} exceptions (${r.storeId}/${r.terminalId} seq ${r.seq}, ${r.at})\n`;
      if (listing.notes.length === 0) io.stdout.write('no delivery notes sent\n');
      for (const n of listing.notes) {
        const outcome =
          n.status === 'sent'
            ? 'no outcome yet'
            : n.status === 'refused'
              ? `refused (${n.code}): ${n.message ?? ''}`
              : n.status;
        io.stdout.write(
          `${n.deliveryId}  ${n.storeId}/${n.terminalId}  ${n.units} units  sent ${n.sentAt}  ${outcome}\n`,
        );
        if (n.receipts.length === 0 && n.status !== 'refused') io.stdout.write('    no receipt yet\n');
        for (const r of n.receipts) io.stdout.write(receiptLine(r));
      }
      if (listing.otherReceipts.length > 0) {
        io.stdout.write('receipts of deliveries not sent from here:\n');
        for (const r of listing.otherReceipts) io.stdout.write(`  ${r.deliveryId}\n${receiptLine(r)}`);
      }
      io.stdout.write(`diversion alerts: ${listing.diversions.length}\n`);
      for (const d of listing.diversions)
        io.stdout.write(
          `  ${d.at}  ${d.storeId}/${d.terminalId} seq ${d.seq}  ${d.codeKey ?? '(no code)'}${d.reason ? `  ${d.reason}` : ''}\n`,
        );
      return 0;
    } finally {
      await storage.close();
    }
  },
};

/** `--db URL`, else env VERITERM_UPSTREAM_DB: a postgres:// URL, or undefined (the data directory's file). */
function upstreamDatabase(flag: string | undefined, command: string): string | undefined {
  const database = flag ?? process.env.VERITERM_UPSTREAM_DB;
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database))
    throw new UsageError(`${command}: --db expects a postgres:// URL, got "${database.split('@').at(-1)}"`);
  return database;
}
