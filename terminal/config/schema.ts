import { z } from 'zod';
import { printerOptionsSchema } from '../../drivers/printer/options.js';
import { scannerOptionsWith } from '../../drivers/scanner/options.js';
import { receivingOptionsSchema } from '../receiving/options.js';
import { syncOptionsSchema } from '../sync/options.js';

/**
 * The terminal's one config schema; the `Config` type is inferred from it. Every section has
 * defaults, so `{}` is a valid (demo-like) config. Scanners and printers are their drivers' own
 * schemas composed in (strict, discriminated by `type` / `transport`), so the composition root gets
 * typed options; registry and sync are validated loosely here and strictly by their own modules.
 * Field docs double as the config reference (docs/configuration.md).
 */
const HOUR = 3_600_000;

const MIB = 1_048_576;

/** Rate and connection limits (docs/security.md, "WebSocket and HTTP limits"). */
const httpLimits = z.strictObject({
  /**
   * Scans per second one WebSocket connection may send (token bucket). A person presents about
   * one pack a second; a presentation scanner re-reads a few a second. @default 10
   */
  scansPerSecond: z.number().min(0.1).max(10_000).default(10),
  /** Scans a connection may send at once (a scanner's buffered reads after a reconnect). @default 20 */
  scanBurst: z.number().int().min(1).max(100_000).default(20),
  /** Scans per second of all anonymous clients together (WebSocket and POST /api/v1/verify). @default 50 */
  anonymousScansPerSecond: z.number().min(0.1).max(100_000).default(50),
  /** @default 100 */
  anonymousScanBurst: z.number().int().min(1).max(1_000_000).default(100),
  /** A connection whose own limit refused this many scans within 10 s is closed (1008). @default 100 */
  wsRefusalsBeforeClose: z.number().int().min(1).default(100),
  /** WebSocket connections open at once. @default 64 */
  maxWsClients: z.number().int().min(1).max(10_000).default(64),
  /** WebSocket connections open at once from one source. @default 8 */
  maxWsClientsPerSource: z.number().int().min(1).max(10_000).default(8),
  /** POST /api/v1/verify requests per source per minute. @default 600 */
  verifyPerMinute: z.number().int().min(1).default(600),
  /** POST /api/v1/auth/sign-in requests per source per minute (on top of the PIN throttle). @default 10 */
  signInPerMinute: z.number().int().min(1).default(10),
});

const locale = z.enum(['zh-CN', 'en']);
export type Locale = z.infer<typeof locale>;

/** `scrypt$N$r$p$saltB64$hashB64` (see terminal/http/auth/pin-hash.ts). */
const scryptHash = z
  .string()
  .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'expected scrypt$N$r$p$salt$hash');

const user = z.strictObject({
  /** Sign-in name (a cashier number or "manager"). */
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  role: z.enum(['cashier', 'manager']),
  /** scrypt hash of the PIN or password, never the PIN itself. */
  pinHash: scryptHash,
});

const apiToken = z.strictObject({
  name: z.string().min(1),
  role: z.enum(['kiosk', 'cashier', 'manager']),
  /** hex SHA-256 of the bearer token (tokens are random 256-bit, so a plain hash suffices). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
});

export const configSchema = z.strictObject({
  terminal: z
    .strictObject({
      /** @default 'S-DEMO' */
      storeId: z.string().min(1).default('S-DEMO'),
      /** @default 'T-01' */
      terminalId: z.string().min(1).default('T-01'),
      /** IANA zone for expiry dates. @default the system zone */
      timeZone: z
        .string()
        .refine((tz) => isTimeZone(tz), 'expected an IANA time zone such as Asia/Shanghai')
        .optional(),
    })
    .prefault({}),
  /** Where databases and keys live; env VERITERM_DATA overrides. @default './data' */
  dataDir: z.string().min(1).default('./data'),
  http: z
    .strictObject({
      /** @default '0.0.0.0' */
      host: z.string().min(1).default('0.0.0.0'),
      /** env PORT overrides. @default 8080 */
      port: z.coerce.number().int().min(0).max(65_535).default(8080),
      /** Largest request body; a scan is a few hundred bytes. @default 65536 */
      bodyLimitBytes: z.number().int().min(1024).max(10_485_760).default(65_536),
      /**
       * Take the client address from X-Forwarded-For (Fastify `trustProxy`: true, or the proxies'
       * addresses/CIDRs). Only behind a reverse proxy you run: otherwise any client could
       * pick the source every per-source limit counts. @default false
       */
      trustProxy: z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1))]).default(false),
      /**
       * Page origins allowed to open the WebSocket besides the terminal's own (`http://host:port`
       * as the browser sends it). Upgrades with any other Origin get 403. @default []
       */
      allowedOrigins: z
        .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'expected an origin such as http://kiosk.local:8080'))
        .default([]),
      /** Rate and connection limits on what anonymous and signed-in clients can send (docs/security.md). */
      limits: httpLimits.prefault({}),
    })
    .prefault({}),
  kiosk: z
    .strictObject({
      /** Language shown first; shoppers can switch. @default 'zh-CN' */
      defaultLocale: locale.default('zh-CN'),
      /** Consumer hotline shown with suspicious results. @default '12315' (China market-regulation hotline) */
      hotline: z.string().min(1).max(40).default('12315'),
      /** Back to the attract screen after this much inactivity. @default 30000 */
      idleTimeoutMs: z.number().int().min(3_000).max(600_000).default(30_000),
      /** Lists the demo sample codes on the page. @default false */
      demo: z.boolean().default(false),
      /** Keyboard-wedge capture in the browser (scanner in USB keyboard mode). */
      wedge: z
        .strictObject({
          /** Longest gap between keys of one scan; people type slower. @default 35 */
          maxGapMs: z.number().int().min(5).max(1_000).default(35),
          /** Shorter fast bursts are typing, not scans. @default 6 */
          minLength: z.number().int().min(1).max(64).default(6),
          /** A character the scanner sends for GS (0x1D) besides Ctrl+]. */
          gsSubstitute: z.string().length(1).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  verify: z
    .strictObject({
      /** A registry older than this cannot confirm units. @default 72 h (Chestny Znak local module) */
      maxRegistryAgeMs: z
        .number()
        .int()
        .positive()
        .default(72 * HOUR),
      /** @default 'block' */
      expiredPolicy: z.enum(['block', 'allow']).default('block'),
      /** @default 'block' (checkout may override with a supervisor) */
      unverifiablePolicy: z.enum(['block', 'allow']).default('block'),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** Role of requests without a token; 'none' requires a kiosk token even for the kiosk. @default 'kiosk' */
      anonymousRole: z.enum(['kiosk', 'none']).default('kiosk'),
      /** Signed-in sessions end after this. @default 8 h */
      sessionTtlMs: z
        .number()
        .int()
        .min(60_000)
        .default(8 * HOUR),
      /**
       * Wrong PINs for one user from one source (client address) before that source must wait;
       * every PIN check counts (sign-in, override and return approvals). @default 5
       */
      maxFailedSignIns: z.number().int().min(1).default(5),
      /**
       * Longest wait for one user at one source (and for one source over all users): the cap of the
       * doubling wait that starts at `pinLockBaseMs`. @default 15 min
       */
      failureWindowMs: z
        .number()
        .int()
        .min(1_000)
        .default(15 * 60_000),
      /** First wait after the free wrong PINs; doubles with each further one. @default 30 s */
      pinLockBaseMs: z.number().int().min(100).default(30_000),
      /** Wrong PINs from one source over all users (one PIN tried on every id) before it waits. @default 20 */
      maxFailedSignInsPerSource: z.number().int().min(1).default(20),
      /**
       * Wrong PINs for one user from all sources before sources where that user has not signed in
       * recently wait (doubling from 1 s up to `userLockMaxMs`). @default 20
       */
      maxFailedSignInsPerUser: z.number().int().min(1).default(20),
      /** Cap of the per-user wait: the most an attacker elsewhere can delay the real user. @default 30 s */
      userLockMaxMs: z
        .number()
        .int()
        .min(1_000)
        .max(15 * 60_000)
        .default(30_000),
      /** A run of wrong PINs is forgotten after this long without another. @default 24 h */
      pinFailureMemoryMs: z
        .number()
        .int()
        .min(60_000)
        .default(24 * HOUR),
      /** A source where a user signed in skips that user's all-sources wait for this long. @default 12 h */
      trustedSourceTtlMs: z
        .number()
        .int()
        .min(0)
        .default(12 * HOUR),
      /** (user, source) and source records the throttle keeps (least recently used dropped). @default 10000 */
      pinThrottleMaxSources: z.number().int().min(100).max(1_000_000).default(10_000),
      users: z.array(user).default([]),
      tokens: z.array(apiToken).default([]),
    })
    .prefault({}),
  /** Disk bounds: free-space alarms and the query log's size (docs/security.md, "Storage"). */
  storage: z
    .strictObject({
      /** WARN below this much free space on the data directory's disk. @default 500 MiB */
      warnFreeBytes: z
        .number()
        .int()
        .min(0)
        .default(500 * MIB),
      /** FAIL below this much: sales would soon fail to commit. @default 100 MiB */
      failFreeBytes: z
        .number()
        .int()
        .min(0)
        .default(100 * MIB),
      /** Verification checks older than this are deleted (manager charts show up to 31 days). @default 90 */
      checkRetentionDays: z.number().int().min(1).max(3_650).default(90),
      /** Most verification checks kept; the oldest go first. @default 500000 (about 80 MB) */
      maxChecks: z.number().int().min(1_000).default(500_000),
      /** Most per-code check counters kept; the least recently checked go first. @default 200000 */
      maxCodeStats: z.number().int().min(1_000).default(200_000),
      /**
       * How often the query log is pruned and the WAL checkpointed with TRUNCATE (also after every
       * 256 checks, off the scan path). @default 30 s
       */
      maintenanceIntervalMs: z.number().int().min(1_000).default(30_000),
    })
    .prefault({}),
  /** Scanner adapters (drivers/scanner/options.ts, by `type`) plus which lane each feeds. @default 'kiosk' */
  scanners: z.array(scannerOptionsWith({ lane: z.enum(['kiosk', 'checkout']).default('kiosk') })).default([]),
  /** Printer adapters (drivers/printer/options.ts, by `transport`). */
  printers: z.array(printerOptionsSchema).default([]),
  /** Registry store (terminal/registry). */
  registry: z
    .strictObject({
      /** @default `<dataDir>/registry.db` */
      file: z.string().min(1).optional(),
    })
    .prefault({}),
  /** Whether verdicts use the store's receiving: terminal/receiving's own schema (terminal/receiving/options.ts). */
  receiving: receivingOptionsSchema.prefault({}),
  /** Upstream link options: terminal/sync's own schema (terminal/sync/options.ts), unknown keys refused. */
  sync: syncOptionsSchema.optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
