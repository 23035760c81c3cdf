import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The other process holding `path` open, if any (what fuser(1) reads: /proc/PID/fd links). A
 * scanner port held by another terminal would see every scan split between the two; a ledger
 * database held open means the terminal still runs. The process
 * that created a pseudo-terminal pair holds its slave too (and /dev/ptmx): it provides the port
 * rather than using it, so it is not counted.
 */
export function heldBy(path: string, procDir = '/proc'): { pid: number; command: string } | undefined {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return undefined;
  }
  let pids: string[];
  try {
    pids = readdirSync(procDir).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let links: string[];
    try {
      const fdDir = join(procDir, pid, 'fd');
      links = readdirSync(fdDir).map((fd) => {
        try {
          return readlinkSync(join(fdDir, fd));
        } catch {
          return '';
        }
      });
    } catch {
      continue; // gone, or not ours to look at
    }
    if (!links.includes(target) || links.includes('/dev/ptmx')) continue;
    let command = '?';
    try {
      command = readFileSync(join(procDir, pid, 'comm'), 'utf8').trim();
    } catch {
      // exited meanwhile
    }
    return { pid: Number(pid), command };
  }
  return undefined;
}
