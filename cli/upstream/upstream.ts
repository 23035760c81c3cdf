import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../terminal/errors.js';
import { createLogger } from '../../terminal/logger.js';
import { type CommandIo, type CommandModule, parseCommandOrHelp } from '../args.js';
import { untilSignal } from '../signals.js';
import { receivingTerminals } from './receiving-terminals.js';

export const CONNECTION_OPTIONS = `Options:
  --broker URL           mqtt://host:1883 or mqtts://host:8883 (required)
  --data DIR             upstream data directory (required)
  --ca FILE              CA certificate to pin (TLS)
  --cert FILE, --key FILE   upstream's client certificate and key (mTLS)
  --username NAME        broker username; the password is read from env VERITERM_UPSTREAM_PASSWORD`;

const RUN_HELP = `Usage: veriterm upstream [run] --broker URL --data DIR [options]

The reference upstream: publishes the signed registry releases under DIR/registry/{scope}/, ingests
record batches from every terminal into DIR/upstream.db (verifying chains and signatures), sends
acknowledgements, answers chunk requests, turns write-offs into signed registry deltas, and signs
commands with DIR/keys/command.key (created on first start; give terminals keys/command.pub.pem).

${CONNECTION_OPTIONS}
  --client-id ID         this worker's MQTT client id, stable across restarts (default from host and --data)
  --share-group NAME     shared-subscription group for ingest workers (default veriterm-ingest)
  --no-share             plain subscriptions (brokers without $share, e.g. aedes)
  --no-publish-registry  ingest only (when another worker publishes registry deltas)
  --embedded-broker      start an in-process aedes broker on the --broker URL's port first
  --receiving-terminal STORE=TERMINAL
                         the terminal that receives STORE's transfer notes (repeatable; default: the
                         store's only terminal known by its status; docs/stock.md "Transfers end to end")
  --db URL               postgres://user@host:5432/db: store on PostgreSQL (several workers on several
                         machines share it; schema migrated on start) instead of DIR/upstream.db;
                         registry releases live there too (DIR/registry/ only feeds new ones in);
                         also env VERITERM_UPSTREAM_DB; the password from PGPASSWORD
  --release-cache-mib N  with --db: registry release chunks this worker keeps in memory, in MiB
                         (default 64; 0 keeps none; docs/scaling.md "Registry releases")
  --feed-port N          serve the enforcement feed (read-only HTTP, docs/enforcement.md) on port N
  --feed-host HOST       address the feed listens on (default 127.0.0.1)
  --feed-token-file FILE bearer token clients of the feed must present (one line, 32+ characters)
`;

const COMMAND_HELP = `Usage: veriterm upstream command --broker URL --data DIR --store ID --terminal ID NAME

Sends one signed command to one terminal and prints its result (exit 0 when its status is ok).
NAME: sync_now, rebirth, reload_config, request_logs or health.

${CONNECTION_OPTIONS}
  --store ID, --terminal ID   the terminal to command (required)
`;

const ACL_HELP = `Usage: veriterm upstream acl [--scope S…] [--username NAME]

Prints the mosquitto acl_file: pattern lines confining every terminal (username = certificate CN =
"{store}/{terminal}") to vt/{store}/{terminal}/…, enrolling clients to vt/enrol/{client id}/…, and
the upstream user NAME (default upstream) to vt/#. No terminal is listed: later enrolments need no
change. --scope limits the registry topics terminals may read (default all). See
docs/upstream-field-guide.md.
`;

const REVOKE_HELP = `Usage: veriterm upstream revoke --data DIR --store ID --terminal ID [--db postgres://…]

Revokes a terminal's enrolment: upstream refuses its records (alert revoked_terminal) and, with
"revocation" in DIR/enrolment.json, denies it in mosquitto's ACL file and reloads mosquitto (SIGHUP).
`;

const COMMAND_NAMES = ['sync_now', 'rebirth', 'reload_config', 'request_logs', 'health'] as const;

/**
 * A one-off upstream client for a command that sends one message and waits for its answer
 * (`upstream command`, `upstream delivery send`): its own client id, no persistent session, no
 * shared ingest subscription, no registry publishing.
 */
export async function oneOffUpstream(
  dataDir: string,
  options: ReturnType<typeof connection>['options'],
  purpose: string,
  database?: string,
) {
  const { startUpstream } = await import('../../upstream/start-upstream.js');
  return startUpstream({
    dataDir,
    database,
    logger: createLogger({ level: 'warn' }),
    options: {
      ...options,
      clientId: `vt-upstream-${purpose}-${process.pid}`,
      sessionExpirySeconds: 0,
      shareGroup: '',
      publishRegistry: false,
    },
  });
}

export function connection(values: Record<string, string | string[] | boolean | undefined>, usage: string) {
  const broker = values.broker as string | undefined;
  const data = values.data as string | undefined;
  const missing = [broker ? undefined : '--broker URL', data ? undefined : '--data DIR'].filter(Boolean);
  if (missing.length > 0)
    throw new UsageError(`veriterm upstream: missing ${missing.join(', ')}\n\n${usage}`);
  for (const flag of ['ca', 'cert', 'key'] as const) {
    const file = values[flag] as string | undefined;
    if (file && !existsSync(file))
      throw new UsageError(`veriterm upstream: --${flag} ${file} does not exist`);
  }
  const ca = values.ca as string | undefined;
  return {
    dataDir: resolve(data!),
    options: {
      brokerUrl: broker!,
      ...(ca
        ? {
            tls: {
              caFile: ca,
              ...(values.cert ? { certFile: values.cert as string } : {}),
              ...(values.key ? { keyFile: values.key as string } : {}),
            },
          }
        : {}),
      ...(values.username ? { username: values.username as string } : {}),
      ...(values['client-id'] ? { clientId: values['client-id'] as string } : {}),
      ...(process.env.VERITERM_UPSTREAM_PASSWORD ? { password: process.env.VERITERM_UPSTREAM_PASSWORD } : {}),
      ...(values['no-share']
        ? { shareGroup: '' }
        : values['share-group']
          ? { shareGroup: values['share-group'] as string }
          : {}),
      ...(values['no-publish-registry'] ? { publishRegistry: false } : {}),
    },
  };
}

export const CONNECTION_FLAGS = {
  broker: { type: 'string' },
  data: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  username: { type: 'string' },
} as const;

const RUN_FLAGS = {
  ...CONNECTION_FLAGS,
  'client-id': { type: 'string' },
  'receiving-terminal': { type: 'string', multiple: true },
  'share-group': { type: 'string' },
  'no-share': { type: 'boolean' },
  'no-publish-registry': { type: 'boolean' },
  'embedded-broker': { type: 'boolean' },
  db: { type: 'string' },
  'release-cache-mib': { type: 'string' },
  'feed-port': { type: 'string' },
  'feed-host': { type: 'string' },
  'feed-token-file': { type: 'string' },
} as const;

/** `--feed-port`/`--feed-token-file` (both or neither) as startUpstream's `feed`. */
function feedOptions(values: Record<string, string | string[] | boolean | undefined>) {
  const port = values['feed-port'] as string | undefined;
  const tokenFile = values['feed-token-file'] as string | undefined;
  if (port === undefined && tokenFile === undefined) {
    if (values['feed-host']) throw new UsageError('veriterm upstream: --feed-host needs --feed-port');
    return undefined;
  }
  if (port === undefined || tokenFile === undefined)
    throw new UsageError('veriterm upstream: the feed needs both --feed-port N and --feed-token-file FILE');
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)
    throw new UsageError(`veriterm upstream: --feed-port expected a port number (0-65535), got '${port}'`);
  if (!existsSync(tokenFile))
    throw new UsageError(`veriterm upstream: --feed-token-file ${tokenFile} does not exist`);
  return {
    port: Number(port),
    tokenFile,
    ...(values['feed-host'] ? { host: values['feed-host'] as string } : {}),
  };
}

/** `--release-cache-mib N`: a whole number of MiB, for a worker on PostgreSQL (SQLite has no such cache). */
export function releaseCacheMib(flag: string | undefined, database: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (database === undefined)
    throw new UsageError(
      'veriterm upstream: --release-cache-mib applies to workers on PostgreSQL (--db postgres://…); the SQLite engine reads releases through the page cache',
    );
  if (!/^\d{1,5}$/.test(flag) || Number(flag) > 65_536)
    throw new UsageError(
      `veriterm upstream: --release-cache-mib expected a whole number of MiB from 0 to 65536, got '${flag}'`,
    );
  return Number(flag);
}

/** `veriterm upstream acl`: the broker's ACL file. */
export const acl: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream acl',
      argv,
      { scope: { type: 'string', multiple: true }, username: { type: 'string' } },
      { usage: ACL_HELP, io },
    );
    if (!parsed) return 0;
    const { values } = parsed;
    const { mosquittoAcl } = await import('../../upstream/broker-acl.js');
    io.stdout.write(
      mosquittoAcl({
        ...(values.scope?.length ? { scopes: values.scope } : {}),
        ...(values.username ? { upstreamUsername: values.username } : {}),
      }),
    );
    return 0;
  },
};

/** `veriterm upstream revoke`: take a terminal's enrolment back. */
export const revoke: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream revoke',
      argv,
      {
        data: { type: 'string' },
        store: { type: 'string' },
        terminal: { type: 'string' },
        db: { type: 'string' },
      },
      { usage: REVOKE_HELP, io },
    );
    if (!parsed) return 0;
    const { values } = parsed;
    if (!values.data || !values.store || !values.terminal)
      throw new UsageError(
        `veriterm upstream revoke: needs --data DIR, --store ID and --terminal ID\n\n${REVOKE_HELP}`,
      );
    const { revokeInDataDir } = await import('../../upstream/revocation.js');
    const { openUpstreamStorage } = await import('../../upstream/start-upstream.js');
    const target = { storeId: values.store, terminalId: values.terminal };
    const logger = createLogger({ level: 'warn' });
    const database = values.db ?? process.env.VERITERM_UPSTREAM_DB;
    const storage =
      database === undefined
        ? undefined
        : await openUpstreamStorage({ dataDir: resolve(values.data), logger, database });
    const done = await revokeInDataDir({
      dataDir: resolve(values.data),
      ...target,
      logger,
      ...(storage ? { storage } : {}),
    }).finally(() => storage?.close());
    io.stdout.write(
      `revoked store ${target.storeId} terminal ${target.terminalId} at ${done.revokedAt}; broker: ${done.broker}\n`,
    );
    return 0;
  },
};

/** `veriterm upstream command NAME`: one signed command to one terminal. */
export const command: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp(
      'upstream command',
      argv,
      { ...CONNECTION_FLAGS, store: { type: 'string' }, terminal: { type: 'string' } },
      { usage: COMMAND_HELP, io },
    );
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const name = positionals[0] as (typeof COMMAND_NAMES)[number] | undefined;
    if (!name || !COMMAND_NAMES.includes(name) || !values.store || !values.terminal) {
      throw new UsageError(
        `veriterm upstream command: needs --store, --terminal and one of ${COMMAND_NAMES.join(', ')}`,
      );
    }
    const { dataDir, options } = connection(values, COMMAND_HELP);
    const started = await oneOffUpstream(dataDir, options, 'cmd');
    try {
      const result = await started.upstream.sendCommand(
        { storeId: values.store, terminalId: values.terminal },
        name,
        {},
        { timeoutMs: 30_000 },
      );
      io.stdout.write(`${JSON.stringify(result.result, null, 2)}\n`);
      return result.result.status === 'ok' ? 0 : 1;
    } finally {
      await started.stop();
    }
  },
};

/** `veriterm upstream [run]`: the reference upstream, until SIGINT/SIGTERM. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp('upstream run', argv, RUN_FLAGS, { usage: RUN_HELP, io });
  if (!parsed) return 0;
  const { values } = parsed;
  const { dataDir, options } = connection(values, RUN_HELP);
  const feed = feedOptions(values);
  const database = values.db ?? process.env.VERITERM_UPSTREAM_DB;
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database))
    throw new UsageError(
      `veriterm upstream: --db expects a postgres:// URL, got "${database.split('@').at(-1)}"`,
    );
  const cacheMib = releaseCacheMib(values['release-cache-mib'] as string | undefined, database);
  if (cacheMib !== undefined) Object.assign(options, { releaseCacheMib: cacheMib });
  const logger = createLogger();
  const { startUpstream } = await import('../../upstream/start-upstream.js');
  let stopBroker: (() => Promise<void>) | undefined;
  const transfers = receivingTerminals(values['receiving-terminal']);
  if (Object.keys(transfers).length > 0)
    Object.assign(options, { transfers: { receivingTerminals: transfers } });
  if (values['embedded-broker']) {
    const { startEmbeddedBroker } = await import('../../upstream/embedded-broker.js');
    const { issueEmbeddedLogins } = await import('../../upstream/embedded-broker-setup.js');
    const url = new URL(options.brokerUrl);
    // Logins only (no anonymous access): the upstream's, and one per terminal in DIR/terminals.json.
    const logins = issueEmbeddedLogins(dataDir);
    const broker = await startEmbeddedBroker({
      port: Number(url.port || 1883),
      host: url.hostname,
      loginsDir: logins.dir,
    });
    stopBroker = broker.stop;
    Object.assign(options, { shareGroup: '', protocol: '3.1.1', ...logins.upstream });
    logger.info({ url: broker.url, logins: logins.dir }, 'embedded broker listening');
    io.stdout.write(`embedded broker logins (terminal sync.credentialsFile): ${logins.dir}\n`);
  }
  const started = await startUpstream({ dataDir, logger, options, database, ...(feed ? { feed } : {}) });
  io.stdout.write(`upstream running on ${options.brokerUrl}; data in ${dataDir}. Ctrl+C stops.\n`);
  if (started.feedUrl) io.stdout.write(`enforcement feed on ${started.feedUrl}/v1/alerts\n`);
  await untilSignal();
  await started.stop();
  await stopBroker?.();
  return 0;
}
