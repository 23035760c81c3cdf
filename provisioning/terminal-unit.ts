/**
 * veriterm.service: the terminal, sandboxed. `systemd-analyze security` rates it 1.8 ("OK") on
 * Debian 12's systemd 252 (test/unit/provisioning/unit-analyze.test.ts asserts ≤ 4.0); what is
 * left open is what the terminal needs: the network (broker, kiosk HTTP), its devices, netlink
 * (libusb/node-hid hotplug), and writable+executable memory (V8's JIT dies under
 * MemoryDenyWriteExecute=yes: docs/operations.md "systemd units").
 */
export interface TerminalUnitInput {
  user: string;
  /** Installed runtime: `${runtimeDir}/dist/cli/veriterm.js` is what runs. */
  runtimeDir: string;
  entry: string;
  nodeBin: string;
  configFile: string;
  dataDir: string;
}

/** Device classes a scanner or printer can be (majors by name, /proc/devices); files still need the udev group. */
export const TERMINAL_DEVICES = ['char-ttyACM', 'char-ttyUSB', 'char-hidraw', 'char-usb_device'];

/**
 * `StateDirectory=` when the data directory is under /var/lib (systemd then creates it, owned by
 * the user, before the sandbox is set up); any other data directory is made writable by path.
 */
export function stateDirectoryLines(dataDir: string): string[] {
  const under = dataDir.startsWith('/var/lib/') ? dataDir.slice('/var/lib/'.length) : undefined;
  return under && !under.includes('..')
    ? [`StateDirectory=${under}`, 'StateDirectoryMode=0700']
    : [`ReadWritePaths=${dataDir}`];
}

export function terminalUnit(input: TerminalUnitInput): string {
  return `[Unit]
Description=veriterm verification terminal
After=network-online.target
Wants=network-online.target

[Service]
# READY=1 once verdicts are served, WATCHDOG=1 every WatchdogSec/2 while healthy
# (terminal/systemd/notify.ts). They go through systemd-notify waiting for the manager's
# BARRIER=1 reply, so the sender is alive when PID 1 attributes the message; that sender is a
# child, hence NotifyAccess=all.
Type=notify
NotifyAccess=all
WatchdogSec=30
TimeoutStartSec=120
User=${input.user}
Group=${input.user}
WorkingDirectory=${input.runtimeDir}
Environment=NODE_ENV=production
ExecStart=${input.nodeBin} ${input.entry} run --config ${input.configFile}
Restart=always
RestartSec=2

${stateDirectoryLines(input.dataDir).join('\n')}
UMask=0077
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateIPC=yes
PrivateMounts=yes
ProtectProc=invisible
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
# Devices: only these classes, and of those only the nodes udev gives group ${input.user}.
DevicePolicy=closed
${TERMINAL_DEVICES.map((d) => `DeviceAllow=${d} rw`).join('\n')}
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`;
}
