import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Whether `path` is a built-in 8250/16550 port (/dev/ttyS0…) with no UART behind it. The kernel
 * creates ttyS0-ttyS3 (and more) whether or not the board has the ports; sysfs `type` is 0
 * (PORT_UNKNOWN, include/uapi/linux/serial_core.h) for those without hardware. A missing sysfs
 * entry is read the same way: nothing known to be there.
 */
export function isEmptyLegacyPort(path: string, sysClassTty = '/sys/class/tty'): boolean {
  let name: string;
  try {
    name = basename(realpathSync(path));
  } catch {
    name = basename(path);
  }
  if (!/^ttyS\d+$/.test(name)) return false;
  try {
    return readFileSync(join(sysClassTty, name, 'type'), 'utf8').trim() === '0';
  } catch {
    return true;
  }
}

/**
 * The other process holding `path` open, if any (what fuser(1) reads: /proc/PID/fd links). A
 * scanner port held by another terminal would see every scan split between the two. The process
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
