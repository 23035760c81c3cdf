import { readFileSync, realpathSync } from 'node:fs';
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
