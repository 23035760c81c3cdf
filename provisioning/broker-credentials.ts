import { existsSync, readFileSync } from 'node:fs';
import { VeritermError } from '../terminal/errors.js';
import type { SyncOptionsInput } from '../terminal/sync/options.js';

/**
 * The config's `sync` section names machine-written credential files instead of holding secrets:
 * `credentialsFile` (JSON `{ username, password }`, 0600) beside `tls.certFile/keyFile`. This
 * merges them into terminal/sync options; the composition root calls it before createSync.
 */
export function syncOptionsFromConfig(sync: Record<string, unknown>): SyncOptionsInput {
  const { credentialsFile, ...rest } = sync as { credentialsFile?: unknown } & Record<string, unknown>;
  if (typeof credentialsFile !== 'string') return rest as unknown as SyncOptionsInput;
  if (!existsSync(credentialsFile)) {
    throw new VeritermError(
      'credentials_missing',
      `broker credentials file ${credentialsFile} is missing: re-run veriterm provision`,
    );
  }
  let creds: { username?: unknown; password?: unknown };
  try {
    creds = JSON.parse(readFileSync(credentialsFile, 'utf8')) as typeof creds;
  } catch {
    throw new VeritermError(
      'credentials_invalid',
      `broker credentials file ${credentialsFile} is not valid JSON: re-run veriterm provision`,
    );
  }
  return {
    ...(rest as unknown as SyncOptionsInput),
    ...(typeof creds.username === 'string' ? { username: creds.username } : {}),
    ...(typeof creds.password === 'string' ? { password: creds.password } : {}),
  };
}
