import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A login of the embedded (aedes) broker. One JSON file per login, `{dir}/{username}.json`, mode
 * 0600: `{ username, password, role, storeId?, terminalId? }`. A terminal's file is also a valid
 * terminal `sync.credentialsFile` (the link reads `username` and `password` from it).
 */
export interface EmbeddedLogin {
  username: string;
  password: string;
  /** `upstream` may use every `vt/` topic; a terminal only its own prefix and the registry. */
  role: 'upstream' | 'terminal';
  storeId?: string;
  terminalId?: string;
}

export const UPSTREAM_LOGIN = 'upstream';

/** An embedded-broker terminal login: a file name too, so no `/` (unlike mosquitto's `{store}/{terminal}`). */
function embeddedTerminalUsername(storeId: string, terminalId: string): string {
  return `vt-${storeId}-${terminalId}`;
}

/** Where a data directory (the demo's upstream, `veriterm upstream --embedded-broker`) keeps them. */
export const EMBEDDED_LOGINS_DIR = 'broker-logins';

/** Usernames are file names here: one topic-level-like word, never a path. */
const USERNAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,139}$/;

export function loginFile(dir: string, username: string): string {
  return join(dir, `${username}.json`);
}

/**
 * The login for the upstream or for one terminal, created (random 256-bit password, 0600) on first
 * use and read back afterwards, so a demo data directory keeps its logins across restarts.
 */
export function issueEmbeddedLogin(
  dir: string,
  who: { role: 'upstream' } | { role: 'terminal'; storeId: string; terminalId: string },
): EmbeddedLogin & { file: string } {
  const username =
    who.role === 'upstream' ? UPSTREAM_LOGIN : embeddedTerminalUsername(who.storeId, who.terminalId);
  const file = loginFile(dir, username);
  const existing = readEmbeddedLogin(dir, username);
  if (existing) return { ...existing, file };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const login: EmbeddedLogin = {
    username,
    password: randomBytes(32).toString('base64url'),
    role: who.role,
    ...(who.role === 'terminal' ? { storeId: who.storeId, terminalId: who.terminalId } : {}),
  };
  // 'wx': never replace a login another process wrote meanwhile; read that one instead.
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { ...(readEmbeddedLogin(dir, username) as EmbeddedLogin), file };
  }
  try {
    writeSync(fd, `${JSON.stringify(login)}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
  return { ...login, file };
}

/** The stored login of `username`, or undefined (no such login, or a name that is not a plain word). */
export function readEmbeddedLogin(dir: string, username: string): EmbeddedLogin | undefined {
  if (!USERNAME.test(username)) return undefined;
  const file = loginFile(dir, username);
  if (!existsSync(file)) return undefined;
  const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<EmbeddedLogin>;
  if (typeof value.password !== 'string' || (value.role !== 'upstream' && value.role !== 'terminal'))
    return undefined;
  return value as EmbeddedLogin;
}

/** Constant-time password comparison (hashes first, so lengths do not leak either). */
export function passwordMatches(expected: string, given: Buffer | undefined): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
