import { accessSync, constants, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { VeritermError } from '../errors.js';

/**
 * SQLite and file-system faults named for people: a full disk (`disk_full`) and files that cannot
 * be opened at start (`db_corrupt`, `db_unreadable`, `db_read_only`), each naming the file and what
 * to do. SQLite result codes: https://www.sqlite.org/rescode.html.
 */

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT', 'disk_full']);

/**
 * Whether `error` (or any cause it wraps, or a bare code string a worker sent) is a full disk:
 * SQLITE_FULL ("database or disk is full"), or ENOSPC/EDQUOT from the file system.
 */
export function isDiskFull(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (typeof e === 'string') return FULL_CODES.has(e);
    if (typeof e !== 'object') return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && FULL_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A write to `file` found no space; nothing of that write was kept (code `disk_full`). */
export class DiskFullError extends VeritermError {
  readonly file: string;

  constructor(file: string, cause?: unknown) {
    super(
      'disk_full',
      `The disk holding ${file} is full (SQLITE_FULL); the write was refused and nothing of it was kept. Free space on that disk; the terminal resumes by itself`,
      { cause },
    );
    this.name = 'DiskFullError';
    this.file = file;
  }
}

export function diskFullError(file: string, cause?: unknown): DiskFullError {
  return new DiskFullError(file, cause);
}

/** `error` as `disk_full` naming `file` when the disk is full, else unchanged. */
export function asStorageFault(error: unknown, file: string): unknown {
  if (error instanceof VeritermError && error.code === 'disk_full') return error;
  return isDiskFull(error) ? diskFullError(file, error) : error;
}

/**
 * A database that cannot be opened or read at start, as a fault naming the file, the cause in
 * words and the remedy (so `veriterm run` prints one line, not a stack trace).
 */
export function openFault(file: string, error: unknown): VeritermError {
  const code = (error as { code?: unknown }).code;
  const detail = error instanceof Error ? error.message : String(error);
  const name = basename(file);
  if (isDiskFull(error)) return diskFullError(file, error);
  if (code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))) {
    return new VeritermError(
      'db_corrupt',
      `${file} is not a readable SQLite database (${code}: ${detail}). Stop the terminal, move ${name} aside (keep it for support) and restore it from a backup; do not delete a ledger`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'EROFS') {
    return new VeritermError(
      'db_read_only',
      `${file} is read-only for the terminal (${code}: ${detail}). Give the terminal's user write access to it and to its folder (the -wal and -shm files live beside it)`,
      { cause: error },
    );
  }
  return new VeritermError(
    'db_unreadable',
    `Cannot open ${file}: ${why(file)} (${typeof code === 'string' ? `${code}: ` : ''}${detail}). Make it a regular SQLite file the terminal's user can read and write, in a folder it can write`,
    { cause: error },
  );
}

/** Why a path cannot be opened, as far as the file system says. */
function why(file: string): string {
  try {
    const st = statSync(file);
    if (st.isDirectory()) return 'it is a directory';
    if (!st.isFile()) return 'it is not a regular file';
    if (!canAccess(file, constants.R_OK | constants.W_OK))
      return `permission denied (the terminal runs as uid ${process.getuid?.() ?? '?'})`;
    if (!canAccess(dirname(file), constants.W_OK)) return 'its folder is not writable';
    return 'it is locked or unreadable';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'its folder does not exist';
    if (code === 'EACCES') return 'permission denied';
    return `it cannot be read (${code ?? 'unknown'})`;
  }
}

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
