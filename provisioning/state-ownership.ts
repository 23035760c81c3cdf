import { chmodSync, chownSync, existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { VeritermError } from '../terminal/errors.js';
import type { ServiceAccount } from './service-account.js';

/**
 * Hands the machine-written state to the service user: the data directory and everything in it
 * owned by the account, directories 0700 and files 0600 (keys, credentials and databases alike:
 * nobody but the terminal reads them; the unit's UMask=0077 keeps what it creates later the same).
 * The config file stays root's, readable by the account's group only (0640): the terminal reads
 * it, never writes it, and it names paths but holds no secrets.
 * Symlinks are refused rather than followed: chown through one would hand out whatever it points at.
 */
export function handOverState(
  input: { dataDir: string; configFile: string },
  account: Pick<ServiceAccount, 'name' | 'uid' | 'gid'>,
): void {
  const walk = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) {
      throw new VeritermError(
        'state_symlink',
        `${path} is a symbolic link: the data directory must hold plain files only; remove it and re-run provision`,
      );
    }
    chownSync(path, account.uid, account.gid);
    if (st.isDirectory()) {
      chmodSync(path, 0o700);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else chmodSync(path, 0o600);
  };
  assertReachable(input, account.name);
  walk(resolve(input.dataDir));
  chownSync(input.configFile, 0, account.gid);
  chmodSync(input.configFile, 0o640);
}

/**
 * The service user must be able to walk down to the data directory and the config file: every
 * folder above them that exists already needs o+x. Checked before anything is spent, and again
 * when handing over.
 */
export function assertReachable(input: { dataDir: string; configFile: string }, user: string): void {
  for (const path of [dirname(resolve(input.dataDir)), dirname(resolve(input.configFile))]) {
    let existing = path;
    while (!existsSync(existing)) existing = dirname(existing);
    const blocked = untraversable(existing);
    if (blocked) {
      throw new VeritermError(
        'state_not_reachable',
        `${blocked} is not searchable by others (mode ${(statSync(blocked).mode & 0o777).toString(8)}): the service user ${user} could not reach ${path}; expected o+x on every folder above it (chmod o+x ${blocked})`,
      );
    }
  }
}

/** The first folder from `/` down to `dir` that others may not search (no o+x), if any. */
export function untraversable(dir: string): string | undefined {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  return chain.find((d) => (statSync(d).mode & 0o001) === 0);
}

/** Shell commands doing the same, for a technician who installs by hand. */
export function handOverCommands(input: { dataDir: string; configFile: string }, user: string): string[] {
  const data = resolve(input.dataDir);
  return [
    `chown -R ${user}:${user} ${data}`,
    `find ${data} -type d -exec chmod 0700 {} + -o -type f -exec chmod 0600 {} +`,
    `chown root:${user} ${input.configFile} && chmod 0640 ${input.configFile}`,
  ];
}
