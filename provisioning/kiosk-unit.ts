/**
 * veriterm-kiosk.service: Chromium in kiosk mode inside cage, a Wayland compositor that shows one
 * application full-screen, on tty1 as its own user session. The unit itself is the session:
 * `PAMName=login` opens a logind session (pam_systemd) on the VT named by `TTYPath=`, which gives
 * the kiosk user seat0's display and input devices and an XDG_RUNTIME_DIR, without a display
 * manager, an autologin getty or a login shell (the kiosk user has none). PID 1 restarts it like
 * any other service. See docs/operations.md "systemd units" for why not a user unit.
 */
export interface KioskUnitInput {
  user: string;
  /** The kiosk user's HOME (Chromium's profile lives below it); systemd creates it as StateDirectory=. */
  home: string;
  httpPort: number;
  /** @default '/dev/tty1' */
  tty?: string;
  /** @default '/usr/bin/cage' */
  cageBin?: string;
  /** @default '/usr/bin/chromium' */
  chromiumBin?: string;
}

/** Chromium's flags for an unattended kiosk page. */
export function kioskChromiumArgs(home: string, httpPort: number): string[] {
  return [
    '--kiosk',
    '--ozone-platform=wayland',
    `--user-data-dir=${home}/chromium`,
    '--no-first-run',
    '--noerrdialogs',
    '--disable-infobars',
    '--disable-session-crashed-bubble',
    '--disable-translate',
    '--password-store=basic',
    '--check-for-update-interval=31536000',
    `http://localhost:${httpPort}/`,
  ];
}

export function kioskUnit(input: KioskUnitInput): string {
  const tty = input.tty ?? '/dev/tty1';
  const vt = tty.replace(/^\/dev\//, '');
  const stateDir = input.home.startsWith('/var/lib/') ? input.home.slice('/var/lib/'.length) : undefined;
  return `[Unit]
Description=veriterm kiosk: Chromium on cage (Wayland) on ${vt}
After=veriterm.service systemd-user-sessions.service systemd-logind.service getty@${vt}.service
Wants=veriterm.service systemd-logind.service
Conflicts=getty@${vt}.service
ConditionPathExists=${tty}

[Service]
User=${input.user}
PAMName=login
TTYPath=${tty}
TTYReset=yes
TTYVHangup=yes
TTYVTDisallocate=yes
StandardInput=tty-fail
StandardOutput=journal
StandardError=journal
UtmpIdentifier=${vt}
UtmpMode=user
Environment=XDG_SESSION_TYPE=wayland
${stateDir ? `StateDirectory=${stateDir}\nStateDirectoryMode=0700` : `ReadWritePaths=${input.home}`}
WorkingDirectory=${input.home}
ExecStart=${input.cageBin ?? '/usr/bin/cage'} -d -- ${input.chromiumBin ?? '/usr/bin/chromium'} ${kioskChromiumArgs(input.home, input.httpPort).join(' ')}
Restart=always
RestartSec=3
# Chromium sandboxes its renderers with user namespaces, so no RestrictNamespaces= here.
UMask=0077
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
CapabilityBoundingSet=
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native

[Install]
WantedBy=graphical.target
`;
}
