import { z } from 'zod';
import { DEFAULT_CONFIG_FILE } from '../terminal/config/config-file.js';

/** useradd's portable user names (shadow's default NAME_REGEX), 32 characters at most. */
const SYSTEM_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SYSTEM_USER_HINT = 'expected 1-32 of a-z 0-9 _ - starting with a letter or _';

/**
 * Answers for `veriterm provision --answers FILE.json` (and the flags that override them). The
 * interactive wizard asks exactly these questions; every field left out is asked (interactive)
 * or reported as missing (non-interactive).
 */
export const answersSchema = z.strictObject({
  /** Human-edited config file to write. @default '/etc/veriterm/config.json' */
  configFile: z.string().min(1).default(DEFAULT_CONFIG_FILE),
  /** Machine-written state (keys, pinned root, credentials, databases). @default '/var/lib/veriterm' */
  dataDir: z.string().min(1).default('/var/lib/veriterm'),
  /** Scanner options (drivers/scanner), or 'none'. */
  scanner: z.union([z.literal('none'), z.looseObject({ type: z.string() })]).optional(),
  /** Printer options (drivers/printer), or 'none'. */
  printer: z.union([z.literal('none'), z.looseObject({ transport: z.string() })]).optional(),
  /** How long the test scan may take. @default 30000 */
  scanTimeoutMs: z.number().int().positive().default(30_000),
  /** Skip the test scan (e.g. the technician has no code at hand). @default false */
  skipTestScan: z.boolean().default(false),
  /** @default false */
  skipTestPrint: z.boolean().default(false),
  storeId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ . -')
    .optional(),
  terminalId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ . -')
    .optional(),
  role: z.enum(['kiosk', 'checkout']).optional(),
  /** Broker the terminal enrols through (mqtt:// or mqtts://). */
  brokerUrl: z
    .string()
    .regex(/^(mqtts?|wss?):\/\//, 'expected an mqtt:// or mqtts:// URL')
    .optional(),
  /** CA for an mqtts:// enrolment connection (otherwise the grant brings the CA). */
  brokerCaFile: z.string().optional(),
  /** Low-privilege enrolment account on the broker, when the broker requires one. */
  enrolUsername: z.string().optional(),
  enrolPassword: z.string().optional(),
  /** One-time enrolment code upstream printed (`XXXXX-XXXXX`). */
  enrolmentCode: z.string().optional(),
  /** The registry root fingerprint upstream printed; provisioning stops unless it matches. */
  rootFingerprint: z.string().optional(),
  /** @default 15000 */
  enrolTimeoutMs: z.number().int().positive().default(15_000),
  /** How long to wait for the first registry download after enrolment (0: skip). @default 60000 */
  registryTimeoutMs: z.number().int().nonnegative().default(60_000),
  /** Kiosk/API port. Asked on a TTY; @default 8080 otherwise */
  httpPort: z.number().int().min(1).max(65_535).optional(),
  /** Language the kiosk page shows first. Asked on a TTY; @default 'zh-CN' otherwise */
  locale: z.enum(['zh-CN', 'en']).optional(),
  /** Wait this long for upstream to answer the readiness probe (publish, ack). @default 15000 */
  readinessTimeoutMs: z.number().int().positive().default(15_000),
  /** Where system files go: '/' on a real terminal, a temp dir in tests. @default '/' */
  systemRoot: z.string().min(1).default('/'),
  /** install: write udev/systemd files (needs root on Linux, or a systemRoot); print: only show them; auto: install when root. @default 'auto' */
  install: z.enum(['auto', 'install', 'print']).default('auto'),
  /** System user the terminal unit runs as (created when missing). @default 'veriterm' */
  serviceUser: z.string().regex(SYSTEM_USER, SYSTEM_USER_HINT).optional(),
  /** User of the kiosk session (kiosks; created when missing). @default 'veriterm-kiosk' */
  kioskUser: z.string().regex(SYSTEM_USER, SYSTEM_USER_HINT).optional(),
  /** Where the built runtime is installed and the units run it from. @default '/opt/veriterm' */
  runtimeDir: z.string().optional(),
  /** Run `npm run build` when dist/ or the kiosk UI is missing or stale. @default true */
  buildRuntime: z.boolean().default(true),
  /** Replace an existing provisioning (its keys and data are wiped). @default false */
  force: z.boolean().default(false),
});

export type Answers = z.output<typeof answersSchema>;
export type AnswersInput = z.input<typeof answersSchema>;
