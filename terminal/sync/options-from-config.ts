import { existsSync, readFileSync } from 'node:fs';
import { VeritermError } from '../errors.js';
import type { SyncOptionsInput } from './options.js';

/**
 * The config's `sync` section names machine-written files instead of holding secrets and trust
 * anchors: `credentialsFile` (JSON `{ username, password }`, 0600) beside `tls.certFile/keyFile`,
 * and `commandKeysFile` (upstream's command keys from enrolment). This merges them into
 * terminal/sync options; the composition root calls it before createSync.
 */
export function syncOptionsFromConfig(sync: Record<string, unknown>): SyncOptionsInput {
  const { credentialsFile, commandKeysFile, ...rest } = sync as {
    credentialsFile?: unknown;
    commandKeysFile?: unknown;
  } & Record<string, unknown>;
  const withKeys = typeof commandKeysFile === 'string' ? mergeCommandKeys(rest, commandKeysFile) : rest;
  return typeof credentialsFile === 'string'
    ? mergeCredentials(withKeys, credentialsFile)
    : (withKeys as unknown as SyncOptionsInput);
}

/** Upstream's command keys from the machine-written file, added to any the config lists. */
function mergeCommandKeys(sync: Record<string, unknown>, file: string): Record<string, unknown> {
  let keys: unknown;
  try {
    keys = (JSON.parse(readFileSync(file, 'utf8')) as { commandKeys?: unknown }).commandKeys;
  } catch {
    throw new VeritermError(
      'credentials_invalid',
      `upstream key file ${file} is missing or not JSON: re-run veriterm provision`,
    );
  }
  const listed = ((sync.commands as { publicKeys?: unknown } | undefined)?.publicKeys ?? []) as string[];
  const extra = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  return {
    ...sync,
    commands: { ...(sync.commands as object | undefined), publicKeys: [...listed, ...extra] },
  };
}

function mergeCredentials(rest: Record<string, unknown>, credentialsFile: string): SyncOptionsInput {
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
