import { printerOptionsSchema } from '../drivers/printer/factory.js';
import { scannerOptionsSchema } from '../drivers/scanner/options.js';
import { formatConfigIssues, validateConfig } from '../terminal/config/index.js';
import { VeritermError } from '../terminal/errors.js';
import type { SyncOptionsInput } from '../terminal/sync/index.js';
import type { StatePaths } from './state-paths.js';

export interface ConfigInput {
  storeId: string;
  terminalId: string;
  role: 'kiosk' | 'checkout';
  httpPort: number;
  /** Kiosk language shown first (config kiosk.defaultLocale). */
  locale?: 'zh-CN' | 'en';
  scanner?: Record<string, unknown>;
  printer?: Record<string, unknown>;
  brokerUrl: string;
  scope: string;
  credentials: { password: boolean; clientCert: boolean; ca: boolean };
}

/**
 * The human-edited config: ids, devices, ports and where things live. Secrets and trust anchors
 * (keys, pinned root, credentials) stay in the data directory and are only referenced by path,
 * so a technician can edit this file freely and `provision` never has to merge into it.
 * Validated with the terminal's own schema (and the drivers' schemas) before anything is written.
 */
export function buildConfig(
  input: ConfigInput,
  paths: StatePaths,
): { sync: SyncOptionsInput } & Record<string, unknown> {
  const scanners = input.scanner ? [{ ...input.scanner, lane: input.role }] : [];
  const printers = input.printer ? [input.printer] : [];
  const config = {
    terminal: { storeId: input.storeId, terminalId: input.terminalId },
    dataDir: paths.dataDir,
    http: { port: input.httpPort },
    ...(input.locale ? { kiosk: { defaultLocale: input.locale } } : {}),
    scanners,
    printers,
    sync: {
      brokerUrl: input.brokerUrl,
      storeId: input.storeId,
      terminalId: input.terminalId,
      registry: { scopes: [input.scope] },
      commandKeysFile: paths.upstreamKeys,
      ...(input.credentials.ca || input.credentials.clientCert
        ? {
            tls: {
              caFile: paths.brokerCa,
              ...(input.credentials.clientCert
                ? { certFile: paths.clientCert, keyFile: paths.clientKey }
                : {}),
            },
          }
        : {}),
      ...(input.credentials.password ? { credentialsFile: paths.brokerCredentials } : {}),
    },
  };
  const problems: string[] = [];
  const result = validateConfig(config);
  if (!result.ok) problems.push(formatConfigIssues(result.issues));
  if (input.scanner) {
    const s = scannerOptionsSchema.safeParse(input.scanner);
    if (!s.success)
      problems.push(...s.error.issues.map((i) => `  scanners.0.${i.path.join('.')}: ${i.message}`));
  }
  if (input.printer) {
    const p = printerOptionsSchema.safeParse(input.printer);
    if (!p.success)
      problems.push(...p.error.issues.map((i) => `  printers.0.${i.path.join('.')}: ${i.message}`));
  }
  if (problems.length > 0)
    throw new VeritermError('bad_config', `the configuration would be invalid:\n${problems.join('\n')}`);
  return config;
}
