import { z } from 'zod';
import { printerOptionsSchema } from '../../drivers/printer/factory.js';
import { scannerOptionsSchema } from '../../drivers/scanner/options.js';

/**
 * The terminal's one config schema; the `Config` type is inferred from it. Every section has
 * defaults, so `{}` is a valid (demo-like) config. Sections owned by other modules (scanners,
 * printers, registry, sync) are validated loosely here and strictly by their own schemas.
 * Field docs double as the config reference (docs/configuration.md).
 */
const HOUR = 3_600_000;

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
      /** Failed PIN sign-ins allowed per user per window before refusing. @default 5 */
      maxFailedSignIns: z.number().int().min(1).default(5),
      /** @default 15 min */
      failureWindowMs: z
        .number()
        .int()
        .min(1_000)
        .default(15 * 60_000),
      users: z.array(user).default([]),
      tokens: z.array(apiToken).default([]),
    })
    .prefault({}),
  /** Scanner adapters (drivers/scanner options, checked by their own schema) plus which lane each feeds. */
  scanners: z
    .array(
      z
        .looseObject({ lane: z.enum(['kiosk', 'checkout']).default('kiosk') })
        .superRefine(({ lane: _lane, ...options }, ctx) => {
          delegate(scannerOptionsSchema, options, ctx);
        }),
    )
    .default([]),
  /** Printer adapters (drivers/printer options, checked by their own schema). */
  printers: z
    .array(z.looseObject({}).superRefine((options, ctx) => delegate(printerOptionsSchema, options, ctx)))
    .default([]),
  /** Registry module options (terminal/registry). */
  registry: z.looseObject({}).prefault({}),
  /** Upstream link options (terminal/sync). */
  sync: z.looseObject({}).optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Checks a section with its owner's schema and reports every issue at its own path. */
function delegate(schema: z.ZodType, value: unknown, ctx: z.RefinementCtx): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', path: issue.path.map(String), message: issue.message, input: undefined });
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
