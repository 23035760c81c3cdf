import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, parse, resolve, sep } from 'node:path';
import { type DoctorCheck, fail } from './types.js';

/** The account the units run the terminal as (provisioning creates it). */
export const SERVICE_USER = 'veriterm';

export type PathAccess =
  | { state: 'ok' }
  | { state: 'missing' }
  | { state: 'denied'; path: string; blocker: string; owner: string; mode: string; user: string };

const PERMISSION_CODES = new Set(['EACCES', 'EPERM']);

/**
 * Whether this process can read (or write) `path`, and if not, which folder or file stops it and
 * who owns it. `existsSync` says "missing" for a file inside a folder we may not enter: doctor run
 * as the wrong user must not report a present key as absent.
 */
export function pathAccess(path: string, mode: 'read' | 'write' = 'read'): PathAccess {
  const want = mode === 'read' ? constants.R_OK : constants.R_OK | constants.W_OK;
  try {
    accessSync(path, want);
    return { state: 'ok' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing' };
    if (!PERMISSION_CODES.has(code)) throw error;
  }
  return { state: 'denied', path, ...describeBlocker(resolve(path), want) };
}

/** True for an error that is a permission problem (errno, or SQLite's CANTOPEN on a denied path). */
export function isPermissionError(error: unknown, path: string): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && PERMISSION_CODES.has(code)) return true;
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM')
    return pathAccess(dirname(path)).state === 'denied' || pathAccess(path).state === 'denied';
  return false;
}

/** The doctor line for a path we may not read: names it, its owner and mode, and the fix. */
export function permissionCheck(name: string, path: string, dataDir: string): DoctorCheck {
  const access = pathAccess(path);
  const a =
    access.state === 'denied' ? access : { blocker: path, owner: '?', mode: '?', user: currentUser(), path };
  return fail(
    name,
    `permission denied: ${a.user} may not read ${path} (${a.blocker} is owned by ${a.owner}, mode ${a.mode})`,
    `run veriterm doctor as ${SERVICE_USER} or root (sudo -u ${SERVICE_USER} veriterm doctor); if ${SERVICE_USER} itself is refused: chown -R ${SERVICE_USER}:${SERVICE_USER} ${dataDir} && chmod 700 ${dataDir}`,
    'permission_denied',
  );
}

function describeBlocker(
  path: string,
  _want: number,
): { blocker: string; owner: string; mode: string; user: string } {
  // The first folder on the way we may not enter, else the path itself.
  const { root } = parse(path);
  const parts = path.slice(root.length).split(sep).filter(Boolean);
  let blocker = path;
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = dir.endsWith(sep) ? `${dir}${part}` : `${dir}${sep}${part}`;
    try {
      accessSync(dir, constants.X_OK);
    } catch {
      blocker = dir;
      break;
    }
  }
  let owner = '?';
  let mode = '?';
  try {
    const st = statSync(blocker);
    owner = `${nameOf('/etc/passwd', st.uid)}:${nameOf('/etc/group', st.gid)}`;
    mode = `0${(st.mode & 0o777).toString(8)}`;
  } catch {
    // stat of the blocker itself refused: leave '?'
  }
  return { blocker, owner, mode, user: currentUser() };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** uid/gid → name from /etc/passwd or /etc/group (the number when not listed). */
function nameOf(file: string, id: number): string {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , num] = line.split(':');
      if (name && Number(num) === id) return name;
    }
  } catch {
    // no passwd/group file (containers): the number will do
  }
  return String(id);
}
