import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { VeritermError } from '../terminal/errors.js';
import { DEFAULT_CHUNK_BYTES, MAX_ANNOUNCED_DELTAS } from './release-catalog.js';

/** Options of the reference upstream (`veriterm upstream`). */
export const upstreamOptionsSchema = z.object({
  brokerUrl: z
    .string()
    .regex(/^(mqtts?|wss?|tcp|tls|ssl):\/\//, 'Expected an mqtt://, mqtts://, ws:// or wss:// URL'),
  /**
   * Unique per worker and stable across its restarts (several workers share the load through
   * `shareGroup`): a restarted worker resumes its session and the messages queued for it. An id
   * that changed per start (it held the pid) left the old session in the shared-subscription
   * group until it expired, taking its share of record batches and registry requests.
   * @default startUpstream: upstreamClientId(host, data directory); here `vt-upstream-{host}`
   */
  clientId: z.string().min(1).max(128).default(`vt-upstream-${hostname()}`),
  /**
   * How long the broker keeps this worker's session (and queues its share) while it is away.
   * Workers on PostgreSQL default to 0: several of them share the uplink, and a dead worker's
   * persistent session stays a member of the shared group, so the broker kept queueing its share
   * of every terminal's batches there (in the failover test, mosquitto's round robin put the same
   * resent batch into the dead session each time: ingest stalled until the worker came back).
   * Nothing is lost without it: terminals resend whatever was not acknowledged.
   * @default 3600 on SQLite (one worker, resumed across restarts), 0 on PostgreSQL
   */
  sessionExpirySeconds: z.number().int().nonnegative().optional(),
  protocol: z.enum(['auto', '5', '3.1.1']).default('auto'),
  tls: z
    .object({ caFile: z.string(), certFile: z.string().optional(), keyFile: z.string().optional() })
    .optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /**
   * Shared-subscription group for records and registry requests (`$share/{group}/…`, MQTT 5
   * §4.8.2): each message goes to one worker of the group. Empty string: plain subscriptions
   * (brokers without shared subscriptions, e.g. aedes). @default 'veriterm-ingest'
   */
  shareGroup: z.string().default('veriterm-ingest'),
  /** Whether this worker turns write-offs into registry deltas (exactly one worker should). @default true */
  publishRegistry: z.boolean().default(true),
  /**
   * Scopes to announce and to publish sold-unit deltas to.
   * @default every directory under {data}/registry (SQLite), every scope with releases in the database (PostgreSQL)
   */
  scopes: z.array(z.string()).optional(),
  /** @default 262144 */
  chunkBytes: z.number().int().positive().default(DEFAULT_CHUNK_BYTES),
  /**
   * Release chunks each worker on PostgreSQL keeps in memory, in MiB (storage/postgres/pg-releases.ts):
   * every kiosk of a scope fetches a new delta's chunks at once, and a cached chunk is read from the
   * database once per worker. 0 keeps none (each request reads the database). The SQLite engine reads
   * its release files through the operating system's page cache and ignores it. @default 64
   */
  releaseCacheMib: z
    .number()
    .int('Expected a whole number of MiB')
    .min(0, 'Expected 0 or more MiB')
    .max(65_536, 'Expected at most 65536 MiB (64 GiB)')
    .default(64),
  /** Write-offs arriving within this window go into one delta. @default 50 */
  deltaDebounceMs: z.number().int().nonnegative().default(50),
  /**
   * Least time between two delta versions of one scope. Under load, sold units wait and go into
   * the scope's next delta together; the first sale after a quiet spell still goes out after
   * `deltaDebounceMs`. Every version is an announcement to every terminal of the scope and a
   * fetch by each, and an announcement lists only the last 500 deltas: at 1 s a busy scope makes
   * at most 86,400 versions a day and a kiosk may fall 500 s behind before it needs a snapshot,
   * while a sale still reaches other stores' kiosks in about 1.5 s (docs/scaling.md).
   * 0: a version per flush. @default 1000
   */
  minDeltaIntervalMs: z.number().int().nonnegative().max(600_000).default(1000),
  /**
   * A fresh snapshot of a scope after this many deltas since its last one, so that a terminal
   * further behind than the announced deltas reach installs the snapshot and the deltas after it.
   * At most the deltas an announcement lists (500), or the chain from the snapshot would not be
   * announced whole. Needs the signed registry format (a release key). @default 250
   */
  snapshotEveryDeltas: z.number().int().min(1).max(MAX_ANNOUNCED_DELTAS).default(250),
  /** How often the release directory is rescanned for new releases. @default 5000 */
  rescanMs: z.number().int().positive().default(5000),
  signatureCheck: z.enum(['batch-tip', 'every']).default('batch-tip'),
  /**
   * How long a batch that starts beyond its terminal's stored tip is held and retried before it is
   * refused as a gap (alert, gap ack): with several workers, shared subscriptions hand one
   * terminal's consecutive batches to different workers, so one may arrive before its predecessor
   * is stored. Answering those with a gap made the terminal resend its whole window, again split
   * between the workers. @default 0 on SQLite (one worker: a gap is a gap), 1000 on PostgreSQL
   */
  gapGraceMs: z.number().int().nonnegative().max(60_000).optional(),
  /**
   * Requests one terminal may make of upstream (`registry/req` and `ledger/req` together): a burst,
   * then so many per second; more are dropped unanswered (upstream/request-limiter.ts). The
   * defaults let a terminal fetch registry chunks at ~25 MB/s. @default { burst: 200, perSecond: 100 }
   */
  requestLimit: z
    .strictObject({
      burst: z.number().int().positive().default(200),
      perSecond: z.number().positive().default(100),
    })
    .prefault({}),
  /**
   * Transfer notes (upstream/transfer-forwarder.ts, docs/stock.md "Transfers end to end"): the note a
   * `stock_out` transfer owes the receiving store goes to `receivingTerminals[storeId]`, else to the
   * store's only terminal known by its status (else it waits, logged, until one is known).
   */
  transfers: z
    .strictObject({
      /** Store id → the terminal that receives its transfers (the back door). @default {} */
      receivingTerminals: z.record(z.string(), z.string().min(1)).default({}),
      /** An unanswered note is sent again this long after its terminal's status says online. @default 15000 */
      retryDelayMs: z.number().int().nonnegative().default(15_000),
      /** How long one send waits for the terminal's outcome. @default 60000 */
      timeoutMs: z.number().int().positive().default(60_000),
      /** How long a transfer note is valid and queued at the broker. @default 14 days */
      ttlMs: z
        .number()
        .int()
        .positive()
        .default(14 * 86_400_000),
    })
    .prefault({}),
  /** Largest accepted (inflated) record batch. @default 16777216 */
  maxBatchBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
});

/**
 * The default client id of a worker: host name plus a hash of its data directory, so two workers
 * on one host (each with its own data directory) differ, and one worker keeps its id across
 * restarts. MQTT 5 allows 23+ characters of [0-9a-zA-Z] everywhere; mosquitto takes any UTF-8.
 */
export function upstreamClientId(host: string, dataDir: string): string {
  const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  return `vt-upstream-${host.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}-${tag}`;
}

/**
 * Parses the upstream's options, reporting every bad one at once: "releaseCacheMib: Expected …, got -1".
 * @throws VeritermError `bad_options`
 */
export function parseUpstreamOptions(input: unknown): UpstreamOptions {
  const result = upstreamOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const got = (path: PropertyKey[]) => {
    let value: unknown = input;
    for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
    return value === undefined ? 'nothing' : JSON.stringify(value);
  };
  const lines = result.error.issues.map(
    (i) => `${i.path.map(String).join('.') || '(options)'}: ${i.message}, got ${got(i.path)}`,
  );
  throw new VeritermError('bad_options', `upstream options: ${lines.join('; ')}`);
}

export type UpstreamOptionsInput = z.input<typeof upstreamOptionsSchema>;
export type UpstreamOptions = z.output<typeof upstreamOptionsSchema>;
