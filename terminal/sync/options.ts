import { z } from 'zod';
import { isTopicLevel } from './topics.js';

const topicLevel = (what: string) =>
  z.string().refine(isTopicLevel, {
    message: `Expected ${what} to be one MQTT topic level: 1-64 of A-Z a-z 0-9 _ . -`,
  });

/**
 * Options of the upstream link. Every option has a default except where the terminal lives.
 * Durations carry their unit in the name.
 */
export const syncOptionsSchema = z.strictObject({
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws(s)://…`. */
  brokerUrl: z
    .string()
    .regex(/^(mqtts?|wss?|tcp|tls|ssl):\/\//, 'Expected an mqtt://, mqtts://, ws:// or wss:// URL'),
  storeId: topicLevel('storeId'),
  terminalId: topicLevel('terminalId'),
  /** @default `vt-{storeId}-{terminalId}` (stable: the persistent session is keyed by it) */
  clientId: z.string().min(1).max(128).optional(),
  /** `auto` tries MQTT 5 and falls back to 3.1.1 when the broker refuses the protocol level. @default 'auto' */
  protocol: z.enum(['auto', '5', '3.1.1']).default('auto'),
  /** TLS with a pinned CA (only this CA is trusted) and the terminal's client certificate. */
  tls: z
    .strictObject({
      caFile: z.string().min(1),
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      /** Host name to check the server certificate against. @default the URL's host */
      servername: z.string().optional(),
    })
    .optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** JSON `{ "username", "password" }` (0600, written by provisioning); overrides username/password. */
  credentialsFile: z.string().min(1).optional(),
  /** JSON `{ "commandKeys": [PEM…] }` (written by provisioning); added to `commands.publicKeys`. */
  commandKeysFile: z.string().min(1).optional(),
  /** MQTT 5 session expiry: how long the broker keeps our subscriptions and queued QoS 1 downlink. @default 604800 (7 days) */
  sessionExpirySeconds: z
    .number()
    .int()
    .nonnegative()
    .default(7 * 24 * 3600),
  /** @default 30 */
  keepaliveSeconds: z.number().int().positive().default(30),
  reconnect: z
    .strictObject({
      /** @default 500 */
      initialDelayMs: z.number().int().positive().default(500),
      /** @default 30000 */
      maxDelayMs: z.number().int().positive().default(30_000),
      /** Fraction of the delay randomised, so a store's terminals do not reconnect in lockstep. @default 0.3 */
      jitter: z.number().min(0).max(1).default(0.3),
      /** @default 10000 */
      connectTimeoutMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  drain: z
    .strictObject({
      /**
       * Upper bound of one batch's encoded size. Under 128 KiB on purpose: upstream turns a batch
       * into one JS string to parse it, and V8 puts strings over 128 KiB in large-object space,
       * which cost ~2 µs per record more to make (page faults; see the sync bench). @default 122880
       */
      maxBatchBytes: z
        .number()
        .int()
        .min(1024)
        .default(120 * 1024),
      /** @default 1000 */
      maxBatchRecords: z.number().int().positive().default(1000),
      /**
       * Batches published but not yet acknowledged by upstream (flow-control window; 24 x 120 KiB
       * keeps the terminal busy while upstream commits earlier batches). Of these, at most the
       * broker's Receive Maximum less 4 await their PUBACK at once (MqttLink.publishWindow).
       * @default 24
       */
      maxInFlightBatches: z.number().int().positive().default(24),
      /** Resend from the last acknowledged sequence when no ack progress for this long. @default 15000 */
      ackTimeoutMs: z.number().int().positive().default(15_000),
      /**
       * Acks are applied to the outbox at most this often (0 = each at once). Each apply is a durable
       * commit that blocks the event loop for an fsync; coalescing costs nothing but a few resends
       * after a crash. @default 100
       */
      ackPersistMs: z.number().int().nonnegative().default(100),
      /** How often the outbox is polled when nobody calls `kick()`. @default 500 */
      pollIntervalMs: z.number().int().positive().default(500),
      /**
       * zlib-deflate batches: `true` always, `false` never, `'auto'` while the link is slower than
       * `compressBelowBytesPerSecond` (measured from the spacing of the broker's PUBACKs; deflated
       * until measured). Deflating costs the terminal ~3 µs and upstream ~1 µs per record and saves
       * ~160 B per record (240 → 77 B): it pays on a store's uplink, not on a LAN or a broker on
       * the same host. @default 'auto'
       */
      compress: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      /**
       * With `compress: 'auto'`: batches are deflated while the link moves fewer bytes per second
       * than this. 4 MB/s = 32 Mbit/s: a 100,000-record backlog still drains in ~6 s uncompressed
       * above it, and a broker on a busy host stays well above it. @default 4000000
       */
      compressBelowBytesPerSecond: z.number().int().positive().default(4_000_000),
      /** Cap on backlog records per second (0 = none), so a backlog of days leaves room for live traffic. @default 0 */
      maxRecordsPerSecond: z.number().int().nonnegative().default(0),
    })
    .prefault({}),
  registry: z
    .strictObject({
      /** Registry scopes this terminal follows (vt/registry/{scope}/…). @default [] */
      scopes: z.array(topicLevel('registry scope')).default([]),
      /** @default 10000 */
      requestTimeoutMs: z.number().int().positive().default(10_000),
      /** Chunk requests in flight at once. @default 4 */
      parallelChunks: z.number().int().positive().max(64).default(4),
    })
    .prefault({}),
  commands: z
    .strictObject({
      /** Upstream command keys (Ed25519, SPKI PEM or raw base64). Without one, every command is refused. */
      publicKeys: z.array(z.string().min(1)).default([]),
      /** @default 300000 */
      maxClockSkewMs: z.number().int().nonnegative().default(300_000),
    })
    .prefault({}),
  /**
   * Delivery notes on `vt/{store}/{terminal}/deliveries` (docs/receiving.md "Notes over MQTT").
   * Each costs a parse, a signature check over the whole note and one transaction (about 0.5 s
   * for 100,000 units), so what a flood can make the terminal do is capped: notes over
   * `maxNoteBytes` are refused unparsed, and at most `burst` notes then `perMinute` a minute
   * (and `bytesPerMinute` bytes a minute) are looked at; the rest are dropped with one warning
   * per flood.
   */
  deliveries: z
    .strictObject({
      /** Largest note, checked before parsing. 100,000 units in GS1 form are about 4 MB. @default 16777216 */
      maxNoteBytes: z
        .number()
        .int()
        .min(1024)
        .default(16 * 1024 * 1024),
      /**
       * Notes read at once, e.g. those queued by the broker while the terminal was offline. A small
       * note costs a few milliseconds; large ones are bounded by `bytesPerMinute`. @default 60
       */
      burst: z.number().int().positive().default(60),
      /** @default 60 */
      perMinute: z.number().positive().default(60),
      /** Note bytes a minute (at least `maxNoteBytes`, so the largest note always gets through). @default 67108864 */
      bytesPerMinute: z
        .number()
        .int()
        .positive()
        .default(64 * 1024 * 1024),
    })
    .refine((d) => d.bytesPerMinute >= d.maxNoteBytes, {
      message: 'Expected deliveries.bytesPerMinute to be at least deliveries.maxNoteBytes',
    })
    .prefault({}),
  /** Downlink messages above this size are refused (and logged). @default 1048576 */
  maxDownlinkBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** How often the retained status document is refreshed. @default 60000 */
  statusIntervalMs: z.number().int().positive().default(60_000),
});

export type SyncOptionsInput = z.input<typeof syncOptionsSchema>;
export type SyncOptions = z.output<typeof syncOptionsSchema>;
