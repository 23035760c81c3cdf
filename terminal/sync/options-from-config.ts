import { existsSync, readFileSync } from 'node:fs';
import { VeritermError } from '../errors.js';
import type { SyncOptionsInput } from './options.js';

/**
 * The config's `sync` section names machine-written files instead of holding secrets and trust
 * anchors: `credentialsFile` (JSON `{ username, password }`, 0600) beside `tls.certFile/keyFile`,
 * and `commandKeysFile` (upstream's command keys from enrolment). This merges them into
 * terminal/sync options; the composition root calls it before createSync.
 */
export function syncOptionsFromConfig(sync: SyncOptionsInput): SyncOptionsInput {
  const { credentialsFile, commandKeysFile, ...rest } = sync;
  const withKeys = commandKeysFile !== undefined ? mergeCommandKeys(rest, commandKeysFile) : rest;
  return credentialsFile !== undefined ? mergeCredentials(withKeys, credentialsFile) : withKeys;
}

/** Upstream's command keys from the machine-written file, added to any the config lists. */
function mergeCommandKeys(sync: SyncOptionsInput, file: string): SyncOptionsInput {
  let keys: unknown;
  try {
    keys = (JSON.parse(readFileSync(file, 'utf8')) as { commandKeys?: unknown }).commandKeys;
  } catch {
    throw new VeritermError(
      'credentials_invalid',
      `upstream key file ${file} is missing or not JSON: re-run veriterm provision`,
    );
  }
  const listed = sync.commands?.publicKeys ?? [];
  const extra = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  return {
    ...sync,
    commands: { ...sync.commands, publicKeys: [...listed, ...extra] },
  };
}

function mergeCredentials(rest: SyncOptionsInput, credentialsFile: string): SyncOptionsInput {
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
    ...rest,
    ...(typeof creds.username === 'string' ? { username: creds.username } : {}),
    ...(typeof creds.password === 'string' ? { password: creds.password } : {}),
  };
}
