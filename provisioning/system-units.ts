import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

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
  role: 'kiosk' | 'checkout';
  httpPort: number;
  scanner?: Record<string, unknown>;
  printer?: Record<string, unknown>;
  /** Absolute path of the compiled CLI entry, dist/cli/veriterm.js: the unit runs compiled JavaScript. */
  entry: string;
  /** @default process.execPath */
  nodeBin?: string;
  /** `udevadm info` on a device path → its USB properties; injectable for tests. */
  usbIdsOf?: (devicePath: string) => { vendorId: string; productId: string; serial?: string } | undefined;
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
 * udev rules giving the `veriterm` service user the chosen devices (by USB ids, which survive
 * re-plugging into another port), a systemd unit for the terminal, and on kiosks a unit opening
 * the kiosk page full-screen in Chromium's kiosk mode once the terminal is up.
 */
export function systemPlan(input: PlanInput): SystemPlan {
  const rules: string[] = ['# veriterm devices (written by veriterm provision)'];
  const s = input.scanner;
  if (s && s.type === 'serial' && typeof s.path === 'string') {
    const ids = (input.usbIdsOf ?? udevUsbIds)(s.path);
    rules.push(
      ids
        ? `SUBSYSTEM=="tty", ENV{ID_VENDOR_ID}=="${ids.vendorId}", ENV{ID_MODEL_ID}=="${ids.productId}"${ids.serial ? `, ENV{ID_SERIAL_SHORT}=="${ids.serial}"` : ''}, GROUP="veriterm", MODE="0660", SYMLINK+="veriterm-scanner"`
        : `# scanner ${s.path}: no USB ids known (not a USB device?); the veriterm user needs group dialout`,
    );
  } else if (s && (s.type === 'hid-pos' || s.type === 'keyboard-wedge') && s.vendorId !== undefined) {
    rules.push(
      `SUBSYSTEM=="hidraw", ATTRS{idVendor}=="${hex4(s.vendorId)}", ATTRS{idProduct}=="${hex4(s.productId)}", GROUP="veriterm", MODE="0660"`,
    );
  }
  const p = input.printer;
  if (p && p.transport === 'usb' && p.vendorId !== undefined) {
    rules.push(
      `SUBSYSTEM=="usb", ATTRS{idVendor}=="${hex4(p.vendorId)}", ATTRS{idProduct}=="${hex4(p.productId)}", GROUP="veriterm", MODE="0660"`,
    );
  }
  const node = input.nodeBin ?? process.execPath;
  const files: SystemFile[] = [
    { path: '/etc/udev/rules.d/99-veriterm.rules', content: `${rules.join('\n')}\n` },
    {
      path: '/etc/systemd/system/veriterm.service',
      content: `[Unit]
Description=veriterm verification terminal
After=network-online.target
Wants=network-online.target

[Service]
# The terminal sends READY=1 once it serves verdicts and WATCHDOG=1 while healthy
# (terminal/systemd/notify.ts, via systemd-notify, hence NotifyAccess=all).
Type=notify
NotifyAccess=all
WatchdogSec=30
User=veriterm
Group=veriterm
SupplementaryGroups=dialout
ExecStart=${node} ${input.entry} run --config ${input.configFile}
Restart=always
RestartSec=2
NoNewPrivileges=true
ProtectSystem=full

[Install]
WantedBy=multi-user.target
`,
    },
  ];
  const units = ['veriterm.service'];
  if (input.role === 'kiosk') {
    files.push({
      path: '/etc/systemd/system/veriterm-kiosk.service',
      content: `[Unit]
Description=veriterm kiosk page in Chromium kiosk mode
After=veriterm.service graphical.target
Requires=veriterm.service

[Service]
User=veriterm
Environment=DISPLAY=:0
ExecStart=/usr/bin/chromium --kiosk --noerrdialogs --disable-infobars --no-first-run --disable-translate --check-for-update-interval=31536000 http://localhost:${input.httpPort}/
Restart=always
RestartSec=3

[Install]
WantedBy=graphical.target
`,
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
