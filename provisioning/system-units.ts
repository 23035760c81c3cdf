import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../terminal/db/atomic-write.js';
import { kioskUnit } from './kiosk-unit.js';
import type { Runtime } from './runtime-check.js';
import type { AccountSpec } from './service-account.js';
import { terminalUnit } from './terminal-unit.js';

export interface SystemFile {
  /** Absolute path on the target system, e.g. /etc/systemd/system/veriterm.service. */
  path: string;
  content: string;
}

export interface SystemPlan {
  files: SystemFile[];
  /** Commands to run after writing the files (as root). */
  commands: string[];
}

export interface PlanInput {
  configFile: string;
  dataDir: string;
  role: 'kiosk' | 'checkout';
  httpPort: number;
  scanner?: Record<string, unknown>;
  printer?: Record<string, unknown>;
  /** The installed runtime the units start (provisioning/runtime-check.ts checked it). */
  runtime: Runtime;
  /** Service user; its group of the same name is the one the udev rules grant. @default 'veriterm' */
  serviceUser?: string;
  /** Kiosk session user (kiosks only). @default 'veriterm-kiosk' */
  kioskUser?: string;
  /** `udevadm info` on a device path → its USB properties; injectable for tests. */
  usbIdsOf?: (devicePath: string) => { vendorId: string; productId: string; serial?: string } | undefined;
}

export const DEFAULT_SERVICE_USER = 'veriterm';
export const DEFAULT_KIOSK_USER = 'veriterm-kiosk';

/** The accounts a plan's units run as, with their homes (StateDirectory= creates them at start). */
export function planAccounts(
  input: Pick<PlanInput, 'role' | 'serviceUser' | 'kioskUser' | 'dataDir'>,
): AccountSpec[] {
  const accounts: AccountSpec[] = [
    {
      name: input.serviceUser ?? DEFAULT_SERVICE_USER,
      home: resolve(input.dataDir),
      comment: 'veriterm terminal',
    },
  ];
  if (input.role === 'kiosk') {
    const name = input.kioskUser ?? DEFAULT_KIOSK_USER;
    accounts.push({ name, home: `/var/lib/${name}`, comment: 'veriterm kiosk session' });
  }
  return accounts;
}

const hex4 = (v: unknown): string | undefined =>
  typeof v === 'number'
    ? v.toString(16).padStart(4, '0')
    : typeof v === 'string'
      ? v.replace(/^0x/i, '').toLowerCase().padStart(4, '0')
      : undefined;

/** USB ids of a tty from udev's database (ID_VENDOR_ID, ID_MODEL_ID, ID_SERIAL_SHORT). */
export function udevUsbIds(
  devicePath: string,
): { vendorId: string; productId: string; serial?: string } | undefined {
  try {
    const out = execFileSync('udevadm', ['info', '--query=property', `--name=${devicePath}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const get = (k: string) => out.match(new RegExp(`^${k}=(.*)$`, 'm'))?.[1];
    const vendorId = get('ID_VENDOR_ID');
    const productId = get('ID_MODEL_ID');
    if (!vendorId || !productId) return undefined;
    const serial = get('ID_SERIAL_SHORT');
    return { vendorId, productId, ...(serial ? { serial } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * udev rules giving the service user's group the chosen devices (by USB ids, which survive
 * re-plugging into another port), the hardened terminal unit (terminal-unit.ts), and on kiosks
 * the kiosk session (kiosk-unit.ts: Chromium on cage on tty1) once the terminal is up.
 */
export function systemPlan(input: PlanInput): SystemPlan {
  const [service, kiosk] = planAccounts(input);
  const group = service!.name;
  const rules: string[] = ['# veriterm devices (written by veriterm provision)'];
  const s = input.scanner;
  if (s && s.type === 'serial' && typeof s.path === 'string') {
    const ids = (input.usbIdsOf ?? udevUsbIds)(s.path);
    rules.push(
      ids
        ? `SUBSYSTEM=="tty", ENV{ID_VENDOR_ID}=="${ids.vendorId}", ENV{ID_MODEL_ID}=="${ids.productId}"${ids.serial ? `, ENV{ID_SERIAL_SHORT}=="${ids.serial}"` : ''}, GROUP="${group}", MODE="0660", SYMLINK+="veriterm-scanner"`
        : `# scanner ${s.path}: no USB ids known (not a USB device?); its device class is not in the unit's DeviceAllow= either`,
    );
  } else if (s && (s.type === 'hid-pos' || s.type === 'keyboard-wedge') && s.vendorId !== undefined) {
    rules.push(
      `SUBSYSTEM=="hidraw", ATTRS{idVendor}=="${hex4(s.vendorId)}", ATTRS{idProduct}=="${hex4(s.productId)}", GROUP="${group}", MODE="0660"`,
    );
  }
  const p = input.printer;
  if (p && p.transport === 'usb' && p.vendorId !== undefined) {
    rules.push(
      `SUBSYSTEM=="usb", ATTRS{idVendor}=="${hex4(p.vendorId)}", ATTRS{idProduct}=="${hex4(p.productId)}", GROUP="${group}", MODE="0660"`,
    );
  }
  const files: SystemFile[] = [
    { path: '/etc/udev/rules.d/99-veriterm.rules', content: `${rules.join('\n')}\n` },
    {
      path: '/etc/systemd/system/veriterm.service',
      content: terminalUnit({
        user: group,
        runtimeDir: input.runtime.dir,
        entry: input.runtime.entry,
        nodeBin: input.runtime.nodeBin,
        configFile: resolve(input.configFile),
        dataDir: resolve(input.dataDir),
      }),
    },
  ];
  const units = ['veriterm.service'];
  if (kiosk) {
    files.push({
      path: '/etc/systemd/system/veriterm-kiosk.service',
      content: kioskUnit({ user: kiosk.name, home: kiosk.home, httpPort: input.httpPort }),
    });
    units.push('veriterm-kiosk.service');
  }
  return {
    files,
    commands: [
      'udevadm control --reload-rules',
      'udevadm trigger',
      'systemctl daemon-reload',
      `systemctl enable --now ${units.join(' ')}`,
    ],
  };
}

/** Writes the plan's files under `rootDir` (atomically each); runs the commands only when `rootDir` is '/'. */
export function installSystemPlan(plan: SystemPlan, rootDir: string, run = defaultRun): string[] {
  const written: string[] = [];
  for (const file of plan.files) {
    const target = join(resolve(rootDir), file.path);
    writeFileAtomic(target, file.content, 0o644);
    written.push(target);
  }
  if (resolve(rootDir) === '/') for (const command of plan.commands) run(command);
  return written;
}

function defaultRun(command: string): void {
  const [bin, ...args] = command.split(' ');
  execFileSync(bin!, args, { stdio: 'ignore' });
}

/** The plan as text for a technician who is not root: every file and every command, exactly. */
export function formatSystemPlan(plan: SystemPlan): string {
  const files = plan.files.map((f) => `--- ${f.path}\n${f.content}`);
  return [...files, '--- then, as root:', ...plan.commands.map((c) => `  ${c}`)].join('\n');
}
