import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatSystemPlan, installSystemPlan, systemPlan } from '../../../provisioning/system-units.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const base = {
  configFile: '/etc/veriterm/config.json',
  dataDir: '/var/lib/veriterm',
  httpPort: 8080,
  runtime: { dir: '/opt/veriterm', entry: '/opt/veriterm/dist/cli/veriterm.js', nodeBin: '/usr/bin/node' },
};

describe('system units', () => {
  const tmp = makeTempDir('vt-units-');

  test('a kiosk gets udev rules by USB id, the terminal unit and a Chromium kiosk unit', () => {
    const plan = systemPlan({
      ...base,
      role: 'kiosk',
      scanner: { type: 'serial', path: '/dev/serial/by-id/usb-X' },
      printer: { transport: 'usb', vendorId: 0x04b8, productId: 0x0202 },
      usbIdsOf: (p) =>
        p === '/dev/serial/by-id/usb-X' ? { vendorId: '0c2e', productId: '0b61', serial: 'S9' } : undefined,
    });
    const byPath = Object.fromEntries(plan.files.map((f) => [f.path, f.content]));
    expect(byPath['/etc/udev/rules.d/99-veriterm.rules']).toContain(
      'SUBSYSTEM=="tty", ENV{ID_VENDOR_ID}=="0c2e", ENV{ID_MODEL_ID}=="0b61", ENV{ID_SERIAL_SHORT}=="S9"',
    );
    expect(byPath['/etc/udev/rules.d/99-veriterm.rules']).toContain(
      'SUBSYSTEM=="usb", ATTRS{idVendor}=="04b8", ATTRS{idProduct}=="0202", GROUP="veriterm", MODE="0660"',
    );
    expect(byPath['/etc/systemd/system/veriterm.service']).toContain(
      'ExecStart=/usr/bin/node /opt/veriterm/dist/cli/veriterm.js run --config /etc/veriterm/config.json',
    );
    const terminal = byPath['/etc/systemd/system/veriterm.service']!;
    expect(terminal).toContain('\nUser=veriterm\nGroup=veriterm\n');
    expect(terminal).toContain('\nWorkingDirectory=/opt/veriterm\n');
    expect(terminal).toContain('\nStateDirectory=veriterm\nStateDirectoryMode=0700\n');
    expect(terminal).not.toContain('SupplementaryGroups');
    const kiosk = byPath['/etc/systemd/system/veriterm-kiosk.service']!;
    expect(kiosk).toContain(
      'ExecStart=/usr/bin/cage -d -- /usr/bin/chromium --kiosk --ozone-platform=wayland --user-data-dir=/var/lib/veriterm-kiosk/chromium',
    );
    expect(kiosk).toContain('http://localhost:8080/');
    expect(kiosk).toContain('\nUser=veriterm-kiosk\nPAMName=login\nTTYPath=/dev/tty1\n');
    expect(kiosk).toContain('\nStateDirectory=veriterm-kiosk\n');
    expect(plan.commands.at(-1)).toBe('systemctl enable --now veriterm.service veriterm-kiosk.service');
  });

  test('named users carry through to the units and the udev group; a data dir outside /var/lib is writable by path', () => {
    const plan = systemPlan({
      ...base,
      dataDir: '/srv/vt/data',
      role: 'kiosk',
      serviceUser: 'vt-svc',
      kioskUser: 'vt-kiosk',
      scanner: { type: 'hid-pos', vendorId: 0x0c2e, productId: 1 },
    });
    const byPath = Object.fromEntries(plan.files.map((f) => [f.path, f.content]));
    expect(byPath['/etc/udev/rules.d/99-veriterm.rules']).toContain('GROUP="vt-svc"');
    expect(byPath['/etc/systemd/system/veriterm.service']).toContain('\nUser=vt-svc\nGroup=vt-svc\n');
    expect(byPath['/etc/systemd/system/veriterm.service']).toContain('\nReadWritePaths=/srv/vt/data\n');
    expect(byPath['/etc/systemd/system/veriterm.service']).not.toContain('StateDirectory=');
    expect(byPath['/etc/systemd/system/veriterm-kiosk.service']).toContain('\nUser=vt-kiosk\n');
  });

  test('a checkout gets no kiosk unit; HID scanners get a hidraw rule', () => {
    const plan = systemPlan({
      ...base,
      role: 'checkout',
      scanner: { type: 'hid-pos', vendorId: '0x0c2e', productId: 3001 },
    });
    expect(plan.files.map((f) => f.path)).not.toContain('/etc/systemd/system/veriterm-kiosk.service');
    expect(plan.files[0]!.content).toContain(
      'SUBSYSTEM=="hidraw", ATTRS{idVendor}=="0c2e", ATTRS{idProduct}=="0bb9"',
    );
  });

  test('installing under a root directory writes every file and runs no command; printing shows them all', () => {
    const plan = systemPlan({ ...base, role: 'kiosk' });
    const ran: string[] = [];
    const written = installSystemPlan(plan, tmp.dir, (c) => ran.push(c));
    expect(written).toHaveLength(3);
    expect(readFileSync(join(tmp.dir, 'etc/systemd/system/veriterm.service'), 'utf8')).toBe(
      plan.files[1]!.content,
    );
    expect(ran).toEqual([]);
    const text = formatSystemPlan(plan);
    for (const f of plan.files) expect(text).toContain(`--- ${f.path}`);
    expect(text).toContain('systemctl daemon-reload');
    tmp.cleanup();
  });
});
