import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { lookupAccount } from '../../provisioning/service-account.js';
import { issueEnrolment } from '../../upstream/enrolment-issue.js';
import { freePort } from '../helpers/free-port.js';
import { type FakeNotifyManager, startFakeNotifyManager } from '../helpers/notify-manager.js';
import { runsAsRoot, serviceVisibleWorkDir } from '../helpers/root.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { ENROL_USER, type ProvisioningRig, SCOPE, startRig } from '../integration/provisioning/fixture.js';

// Issue 22: a terminal provisioned as root by the documented non-interactive path
// (`veriterm provision --answers FILE`) into a temp system root, then run as the service user it
// created, with the generated unit's own command and environment (setpriv drops to the unit's
// User=/Group=), from an installed runtime outside any checkout (compiled dist/ + kiosk UI).
// systemd itself is not PID 1 here, so the sandbox is not applied (unit-analyze.test.ts checks the
// unit), but ownership, modes, groups and the notify path are the real ones.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tools = ['mosquitto', 'socat', 'setpriv', 'useradd', 'python3', 'systemd-notify'];

describe.skipIf(!runsAsRoot('the service-user end-to-end test') || !tools.every((t) => hasSystemTool(t)))(
  'provision as root, run the unit as the service user',
  () => {
    // Inside the package (like dist/), not /tmp: the runtime must be where PrivateTmp= would not hide it.
    const work = serviceVisibleWorkDir(ROOT, 'service-e2e');
    // A built package as a technician would have it (`npm ci && npm run build`); provisioning
    // installs its runtime into runtimeDir (as into /opt/veriterm) and the units run it there.
    const sourceDir = join(work, 'src', 'veriterm');
    const runtimeDir = join(work, 'opt', 'veriterm');
    const site = join(work, 'site');
    const serviceUser = `vtsvc${process.pid}`;
    const kioskUser = `vtkiosk${process.pid}`;
    let rig: ProvisioningRig;
    let terminal: ChildProcess | undefined;
    let notify: FakeNotifyManager | undefined;

    beforeAll(async () => {
      mkdirSync(work, { recursive: true, mode: 0o755 });
      chmodSync(work, 0o755);
      buildPackage(sourceDir);
      mkdirSync(join(work, 'rig'), { mode: 0o755 });
      rig = await startRig(join(work, 'rig'), [{ storeId: 'S1', terminalId: 'E2E' }]);
    }, 240_000);

    afterAll(async () => {
      if (terminal && terminal.exitCode === null && terminal.signalCode === null) {
        const gone = new Promise((r) => terminal!.once('exit', r));
        terminal.kill('SIGKILL');
        await gone; // userdel refuses a user that still has processes
      }
      notify?.stop();
      await rig?.stop();
      for (const user of [kioskUser, serviceUser]) spawnSync('userdel', [user]);
      rmSync(work, { recursive: true, force: true });
    });

    test('bare device to a genuine verdict from the unit command run as the service user; doctor as that user is all OK', async () => {
      const port = await freePort();
      const issued = issueEnrolment({
        dbFile: rig.upstreamDb,
        rootFile: rig.rootFile,
        storeId: 'S1',
        terminalId: 'E2E',
        scope: SCOPE,
      });
      const answers = {
        configFile: join(site, 'etc', 'veriterm', 'config.json'),
        dataDir: join(site, 'var', 'lib', 'veriterm'),
        systemRoot: join(site, 'sysroot'),
        runtimeDir,
        buildRuntime: false,
        serviceUser,
        kioskUser,
        storeId: 'S1',
        terminalId: 'E2E',
        role: 'kiosk',
        scanner: { type: 'serial', path: rig.scanner.stablePath, debounceMs: 0 },
        printer: { transport: 'network', host: '127.0.0.1', port: rig.printer.port, profile: 'xprinter-80' },
        brokerUrl: rig.url,
        brokerCaFile: rig.pki.caFile,
        enrolUsername: ENROL_USER.username,
        enrolPassword: ENROL_USER.password,
        enrolmentCode: issued.code,
        rootFingerprint: issued.fingerprint,
        httpPort: port,
        skipTestScan: true,
      };
      const answersFile = join(work, 'answers.json');
      writeFileSync(answersFile, JSON.stringify(answers));

      // --- the documented path: one command, then the unit starts --------------------------
      const started = performance.now();
      const provisioned = await run(
        process.execPath,
        [join(sourceDir, 'dist', 'cli', 'veriterm.js'), 'provision', '--answers', answersFile],
        { env: { PATH: process.env.PATH! }, cwd: work },
      );
      expect(provisioned.status, provisioned.stdout + provisioned.stderr).toBe(0);
      expect(provisioned.stdout).toContain(`installed the runtime into ${runtimeDir}`);
      const provisionedMs = performance.now() - started;

      // The accounts: system users, no login shell, the service in its own group.
      const service = lookupAccount(serviceUser)!;
      const kiosk = lookupAccount(kioskUser)!;
      expect(service.shell).toBe('/usr/sbin/nologin');
      expect(kiosk.shell).toBe('/usr/sbin/nologin');
      expect(service.uid).toBeLessThan(1000);
      expect(execFileSync('id', ['-gn', serviceUser], { encoding: 'utf8' }).trim()).toBe(serviceUser);

      // The state is the service's: 0700 folders, 0600 files; the config root's, group-readable.
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(statSync(answers.dataDir).uid).toBe(service.uid);
      expect(mode(answers.dataDir)).toBe(0o700);
      const key = join(answers.dataDir, 'identity', 'terminal-ed25519.pem');
      expect([statSync(key).uid, mode(key)]).toEqual([service.uid, 0o600]);
      expect(mode(join(answers.dataDir, 'credentials'))).toBe(0o700);
      expect(statSync(join(answers.dataDir, 'registry.db')).uid).toBe(service.uid);
      expect([statSync(answers.configFile).uid, statSync(answers.configFile).gid]).toEqual([0, service.gid]);
      expect(mode(answers.configFile)).toBe(0o640);

      // The generated unit: runs the installed runtime as the service user.
      const unit = parseUnit(
        readFileSync(join(site, 'sysroot', 'etc/systemd/system/veriterm.service'), 'utf8'),
      );
      expect(unit.User).toEqual([serviceUser]);
      expect(unit.Group).toEqual([serviceUser]);
      const [execStart] = unit.ExecStart!;
      const argv = execStart!.split(' ');
      expect(argv[1]).toBe(join(realpathSync(runtimeDir), 'dist', 'cli', 'veriterm.js'));
      expect(unit.WorkingDirectory).toEqual([realpathSync(runtimeDir)]);
      // Production dependencies only: no build tools in the installed runtime.
      expect(existsSync(join(runtimeDir, 'node_modules', 'better-sqlite3'))).toBe(true);
      expect(existsSync(join(runtimeDir, 'node_modules', 'vitest'))).toBe(false);
      const kioskUnit = readFileSync(
        join(site, 'sysroot', 'etc/systemd/system/veriterm-kiosk.service'),
        'utf8',
      );
      expect(kioskUnit).toContain(`\nUser=${kioskUser}\n`);
      expect(kioskUnit).toContain(`http://localhost:${port}/`);

      // udev would give the scanner's tty to the service's group, mode 0660 (99-veriterm.rules).
      const tty = realpathSync(rig.scanner.stablePath);
      chownSync(tty, 0, service.gid);
      chmodSync(tty, 0o660);

      // Start ExecStart as User=/Group= with the unit's Environment= and a notify socket.
      notify = await startFakeNotifyManager(work);
      const env: Record<string, string> = {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        NOTIFY_SOCKET: notify.socket,
        WATCHDOG_USEC: '2000000',
      };
      for (const assignment of unit.Environment ?? []) {
        const [k, ...v] = assignment.split('=');
        env[k!] = v.join('=');
      }
      terminal = spawn(
        'setpriv',
        ['--reuid', serviceUser, '--regid', serviceUser, '--init-groups', '--', ...argv],
        { cwd: unit.WorkingDirectory![0], env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      terminal.stdout!.on('data', (d: Buffer) => {
        log += d.toString();
      });
      terminal.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
      });
      const exited = new Promise<never>((_, reject) =>
        terminal!.once('exit', (c, s) =>
          reject(new Error(`terminal exited (${c ?? s}):\n${log.slice(-3000)}`)),
        ),
      );
      exited.catch(() => undefined);

      // READY=1 from the service user's process tree, read while its sender still existed.
      const ready = await Promise.race([notify.next((m) => m.text.startsWith('READY=1'), 60_000), exited]);
      expect(ready.alive).toBe(true);
      const readyMs = performance.now() - started;
      expect(ready.uid).toBe(service.uid);

      // The kiosk page is built, and a scan through the PTY scanner gives `genuine` over the API.
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).not.toContain('not built');
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`);
      const verdict = new Promise<string>((resolveVerdict, reject) => {
        socket.on('message', (raw: Buffer) => {
          const m = JSON.parse(String(raw)) as { type: string; data: { verdict?: string } };
          if (m.type === 'hello') rig.scanner.write(`${genuine.scan}\r`);
          if (m.type === 'verdict') resolveVerdict(m.data.verdict!);
        });
        socket.on('error', reject);
      });
      const genuine = rig.demo.codes.find((c) => c.expect === 'genuine')!;
      expect(await Promise.race([verdict, exited])).toBe('genuine');
      const verifiedMs = performance.now() - started;
      socket.close();

      // A watchdog ping comes from the running service too.
      const ping = await Promise.race([notify.next((m) => m.text === 'WATCHDOG=1', 10_000), exited]);
      expect(ping.alive).toBe(true);

      // SIGTERM (systemctl stop): STOPPING=1, and the process ends.
      terminal.kill('SIGTERM');
      await notify.next((m) => m.text.startsWith('STOPPING=1'), 15_000);
      await exited.catch(() => undefined);

      // Doctor as the service user, once the terminal stopped (a raw-port printer takes one
      // connection at a time, and the running terminal holds it): every check OK but the clock,
      // which only WARNs where NTP is not synchronised.
      // Not spawnSync: the loopback printer answers from this process's event loop.
      const doctor = await run(
        'setpriv',
        [
          ...['--reuid', serviceUser, '--regid', serviceUser, '--init-groups', '--'],
          ...[argv[0]!, argv[1]!, 'doctor', '--config', answers.configFile],
        ],
        { env: { PATH: env.PATH! }, cwd: unit.WorkingDirectory![0]! },
      );
      expect(doctor.status, doctor.stdout + doctor.stderr).toBe(0);
      expect(doctor.stdout).not.toMatch(/^FAIL/m);
      const checks = [
        'config',
        'identity',
        'ledger',
        'scanner 1',
        'printer 1',
        'registry root',
        'registry data',
      ];
      for (const check of [...checks, 'broker', 'records', 'disk']) {
        expect(doctor.stdout).toMatch(new RegExp(`^OK\\s+${check}\\b`, 'm'));
      }

      console.info(
        `bare device → verified kiosk: provision ${(provisionedMs / 1000).toFixed(1)} s, service READY=1 at ${(readyMs / 1000).toFixed(1)} s, first genuine verdict from the service at ${(verifiedMs / 1000).toFixed(1)} s`,
      );
    }, 180_000);
  },
);

/** A child's exit status and output, without blocking this process (spawnSync would). */
function run(
  bin: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}

/** `Key=value` lines of a unit file, repeated keys kept in order. */
function parseUnit(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = [...(out[m[1]!] ?? []), m[2]!];
  }
  return out;
}

/**
 * A built veriterm package without its TypeScript sources: package.json, bin/, the compiled
 * sources (bin/build.js --out-dir) and the built kiosk UI; node_modules is this checkout's (a
 * link: provisioning copies the production part of it).
 */
function buildPackage(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let d = dir; d.startsWith(`${ROOT}/`) || d.startsWith('/srv/'); d = dirname(d)) chmodSync(d, 0o755);
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  const built = spawnSync(process.execPath, ['bin/build.js', '--out-dir', join(dir, 'dist')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}${built.stderr}`);
  const require = createRequire(join(ROOT, 'kiosk-ui', 'vite.config.ts'));
  const pkgFile = require.resolve('vite/package.json');
  const viteBin = join(dirname(pkgFile), (require(pkgFile) as { bin: { vite: string } }).bin.vite);
  const ui = spawnSync(
    process.execPath,
    [
      viteBin,
      'build',
      join(ROOT, 'kiosk-ui'),
      '--outDir',
      join(dir, 'kiosk-ui', 'dist'),
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: join(ROOT, 'kiosk-ui'), encoding: 'utf8' },
  );
  if (ui.status !== 0) throw new Error(`kiosk UI build failed:\n${ui.stdout}${ui.stderr}`);
  for (const path of ['package.json', 'bin', 'dist', 'kiosk-ui'])
    execFileSync('chmod', ['-R', 'u=rwX,go=rX', join(dir, path)]);
}
