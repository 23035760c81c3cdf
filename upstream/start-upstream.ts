import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../terminal/db/open-database.js';
import type { Logger } from '../terminal/logger.js';
import { readSigningKey } from '../terminal/registry/keys.js';
import { parseRoot } from '../terminal/registry/root.js';
import { createUpstream, createUpstreamOn, type SqliteUpstream, type Upstream } from './create-upstream.js';
import type { DeltaBuilder } from './delta-builder.js';
import { jsonDeltaBuilder } from './delta-builder.js';
import { type FeedReader, sqliteFeedReader } from './enforcement/feed-query.js';
import { type FeedServer, readFeedToken, startFeedServer } from './enforcement/feed-server.js';
import { startEnrolment } from './enrolment-start.js';
import { parseUpstreamOptions, type UpstreamOptionsInput, upstreamClientId } from './options.js';
import { registryDeltaBuilder } from './registry-delta-builder.js';
import { brokerRevocationFor } from './revocation.js';
import type { ReleaseStorage, UpstreamStorage } from './storage/contract.js';
import { postgresFeedReader } from './storage/postgres/pg-feed.js';
import { PostgresUpstreamStorage } from './storage/postgres/pg-storage.js';
import { FileReleaseStorage } from './storage/sqlite/file-releases.js';
import { SqliteUpstreamStorage } from './storage/sqlite/sqlite-storage.js';

/**
 * The upstream's data directory:
 * - `upstream.db`                       ingested records, alerts, unit events (SQLite)
 * - `registry/{scope}/snapshot-N/…`     signed releases to publish (as written by `veriterm registry build`)
 * - `registry/{scope}/delta-A-B/…`      signed deltas (on SQLite also the ones upstream builds from
 *                                        write-offs; on PostgreSQL releases live in the database and
 *                                        this directory is where operators drop new ones)
 * - `registry-keys/root.json`, `registry-keys/release.key`   to sign sold-unit deltas (registry format)
 * - `keys/command.key` (0600), `keys/command.pub.pem`        upstream command key; terminals pin the .pub
 * - `terminals.json`                     `[{ "storeId", "terminalId", "publicKey" }]` enrolled terminal keys
 */
export const UPSTREAM_LAYOUT = {
  db: 'upstream.db',
  releases: 'registry',
  registryKeys: 'registry-keys',
  commandKey: 'keys/command.key',
  commandPublicKey: 'keys/command.pub.pem',
  terminals: 'terminals.json',
} as const;

/** @typeParam U the embedded engine's upstream (SqliteUpstream, the default) or any engine's. */
export interface StartedUpstream<U extends Upstream = SqliteUpstream> {
  upstream: U;
  /** SPKI PEM of the command key: goes into each terminal's `sync.commands.publicKeys`. */
  commandPublicKeyPem: string;
  /** Where the enforcement feed listens, when started with `feed`. */
  feedUrl?: string;
  stop(): Promise<void>;
}

/** Loads the command key, creating it (0600) on first start. */
export function loadOrCreateCommandKey(dataDir: string): KeyObject {
  const file = join(dataDir, UPSTREAM_LAYOUT.commandKey);
  if (existsSync(file)) return createPrivateKey(readFileSync(file));
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(
    join(dataDir, UPSTREAM_LAYOUT.commandPublicKey),
    publicKey.export({ format: 'pem', type: 'spki' }),
  );
  return privateKey;
}

function deltaBuilderFor(dataDir: string, logger: Logger, releases: ReleaseStorage): DeltaBuilder {
  const keysDir = join(dataDir, UPSTREAM_LAYOUT.registryKeys);
  const rootFile = join(keysDir, 'root.json');
  const keyFile = join(keysDir, 'release.key');
  if (existsSync(rootFile) && existsSync(keyFile)) {
    return registryDeltaBuilder({
      releases,
      stateDir: dataDir,
      root: parseRoot(readFileSync(rootFile, 'utf8')),
      signingKeys: [readSigningKey(keyFile)],
    });
  }
  logger.warn(
    { expected: [rootFile, keyFile] },
    'no registry signing key: sold units are published as unsigned JSON deltas that terminals will refuse',
  );
  return jsonDeltaBuilder();
}

interface StartInput {
  dataDir: string;
  logger: Logger;
  options: UpstreamOptionsInput;
  terminals?: { storeId: string; terminalId: string; publicKey: string }[];
  /**
   * `postgres://…`: the PostgreSQL engine (chains; several workers on several machines share it).
   * Without it, `{dataDir}/upstream.db` (SQLite, the embedded default).
   */
  database?: string | undefined;
  /** The enforcement feed over HTTP (enforcement/feed-server.ts), on either engine; off without it. */
  feed?: { port: number; host?: string; tokenFile: string };
}

/** Opens the storage engine `database` names: PostgreSQL for a `postgres://` URL, else `{dataDir}/upstream.db`. */
export async function openUpstreamStorage(input: {
  dataDir: string;
  logger: Logger;
  database?: string | undefined;
  signatureCheck?: 'batch-tip' | 'every';
  /** Chunk size of releases added through this storage. @default 262144 */
  chunkBytes?: number | undefined;
  /** Release chunks kept in memory on PostgreSQL (options.ts `releaseCacheMib`). @default 64 MiB */
  releaseCacheBytes?: number | undefined;
}): Promise<UpstreamStorage> {
  if (input.database !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(input.database))
      throw new Error(
        `upstream database: expected a postgres:// or postgresql:// URL, got "${input.database.split('@').at(-1)}"`,
      );
    return PostgresUpstreamStorage.open({
      url: input.database,
      logger: input.logger,
      ...(input.signatureCheck ? { signatureCheck: input.signatureCheck } : {}),
      releases: { chunkBytes: input.chunkBytes, cacheBytes: input.releaseCacheBytes },
    });
  }
  return new SqliteUpstreamStorage(openDatabase(join(input.dataDir, UPSTREAM_LAYOUT.db)), {
    closeDb: true,
    releasesDir: join(input.dataDir, UPSTREAM_LAYOUT.releases),
    chunkBytes: input.chunkBytes,
    ...(input.signatureCheck ? { signatureCheck: input.signatureCheck } : {}),
  });
}

/** Starts the reference upstream on a data directory (what `veriterm upstream` and the demo run). */
export async function startUpstream(input: StartInput & { database?: undefined }): Promise<StartedUpstream>;
export async function startUpstream(input: StartInput): Promise<StartedUpstream<Upstream>>;
export async function startUpstream(input: StartInput): Promise<StartedUpstream<Upstream>> {
  mkdirSync(input.dataDir, { recursive: true });
  const commandKey = loadOrCreateCommandKey(input.dataDir);
  const brokerRevocation = brokerRevocationFor(input.dataDir);
  const releasesDir = join(input.dataDir, UPSTREAM_LAYOUT.releases);
  const options = { clientId: upstreamClientId(hostname(), resolve(input.dataDir)), ...input.options };
  // Every bad option is reported before anything is opened.
  const parsed = parseUpstreamOptions(options);
  const pgStorage =
    input.database === undefined
      ? undefined
      : await openUpstreamStorage({
          dataDir: input.dataDir,
          logger: input.logger,
          database: input.database,
          chunkBytes: parsed.chunkBytes,
          releaseCacheBytes: parsed.releaseCacheMib * 2 ** 20,
        });
  // The builder reads the published releases its base copy follows: the database's, or the directory.
  const releases = pgStorage?.releases ?? new FileReleaseStorage(releasesDir, parsed.chunkBytes);
  const deps = {
    logger: input.logger,
    releasesDir,
    commandKey,
    deltaBuilder: deltaBuilderFor(input.dataDir, input.logger, releases),
    ...(brokerRevocation ? { brokerRevocation } : {}),
  };
  // On PostgreSQL everything the upstream keeps is in the database: no upstream.db is opened.
  let db: SqliteDatabase | undefined;
  let upstream: Upstream;
  if (pgStorage) upstream = createUpstreamOn({ ...deps, storage: pgStorage }, options);
  else {
    db = openDatabase(join(input.dataDir, UPSTREAM_LAYOUT.db));
    upstream = createUpstream({ ...deps, db }, options);
  }
  const store = upstream.storage.ingest;
  const terminalsFile = join(input.dataDir, UPSTREAM_LAYOUT.terminals);
  const enrolled = [
    ...(existsSync(terminalsFile)
      ? (JSON.parse(readFileSync(terminalsFile, 'utf8')) as {
          storeId: string;
          terminalId: string;
          publicKey: string;
        }[])
      : []),
    ...(input.terminals ?? []),
  ];
  for (const t of enrolled) await store.enrol(t.storeId, t.terminalId, t.publicKey);
  await upstream.start();
  // Its own read-only connection: nothing the HTTP side does can write to the upstream's database.
  const feedReader: FeedReader | undefined =
    input.feed &&
    (input.database === undefined
      ? sqliteFeedReader(openDatabase(join(input.dataDir, UPSTREAM_LAYOUT.db), { readonly: true }))
      : postgresFeedReader(input.database));
  const feed: FeedServer | undefined =
    input.feed && feedReader
      ? await startFeedServer(
          { reader: feedReader, logger: input.logger },
          {
            port: input.feed.port,
            ...(input.feed.host ? { host: input.feed.host } : {}),
            token: readFeedToken(input.feed.tokenFile, input.logger),
          },
        )
      : undefined;
  const commandPublicKeyPem = createPublicKey(commandKey).export({ format: 'pem', type: 'spki' }).toString();
  // Enrolment (provisioning): one-time codes → broker credentials + registry root; off without DIR/enrolment.json.
  const enrolment = await startEnrolment({
    dataDir: input.dataDir,
    enrolment: upstream.storage.enrolment,
    logger: input.logger,
    login: upstream.options,
    commandPublicKeyPem,
    onEnrolled: (t) => {
      // A fresh enrolment of revoked ids (a replaced kiosk) lifts the revocation, here and at the broker.
      const enrol = async () => {
        await store.enrol(t.storeId, t.terminalId, t.publicKey);
        if (!(await store.enrolment(t.storeId, t.terminalId))?.revokedAt) return;
        await store.reinstate(t.storeId, t.terminalId);
        await brokerRevocation?.apply(await store.revokedTerminals());
      };
      return enrol().catch((error: unknown) =>
        input.logger.error(
          { err: error, ...t },
          'enrolled terminal not recorded for ingest (or broker ACL not updated)',
        ),
      );
    },
  });
  return {
    upstream,
    commandPublicKeyPem,
    ...(feed ? { feedUrl: feed.url } : {}),
    async stop() {
      await feed?.stop();
      await feedReader?.close();
      await enrolment?.stop();
      await upstream.stop();
      await upstream.storage.close();
      if (db?.open) db.close();
    },
  };
}
