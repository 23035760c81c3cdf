import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { issueEnrolment } from '../../../upstream/enrolment-issue.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { ENROL_USER, type ProvisioningRig, SCOPE, startRig } from './fixture.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/veriterm.js');
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g;

/**
 * Runs `veriterm provision` in a real pseudo-terminal (util-linux `script`), so @clack/prompts
 * sees a TTY in raw mode, and answers with keystrokes: text + Enter, Enter on a select, `y`.
 */
class PtySession {
  private raw = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number>;

  constructor(args: string[]) {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    // A fresh pty is 0x0; clack would wrap at one column. Give it a real size first.
    this.child = spawn('script', ['-qfec', `stty cols 120 rows 60; exec ${command}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, COLUMNS: '120', LINES: '60', TERM: 'xterm', FORCE_COLOR: '0' },
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.raw += d.toString();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.raw += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code ?? -1)));
  }

  get text(): string {
    return this.raw.replace(ANSI, '');
  }

  /** Waits until the screen output (after `from`) matches; returns the index after the match. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(from);
      const m = pattern.exec(rest);
      if (m) return from + m.index + m[0].length;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `did not see ${pattern} (exit ${this.child.exitCode}); screen:\n${this.text.slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  type(keys: string): void {
    this.child.stdin!.write(keys);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('socat') || !hasSystemTool('script'))(
  'veriterm provision, interactive in a pseudo-terminal',
  () => {
    const tmp = makeTempDir('vt-provision-tty-');
    let rig: ProvisioningRig;
    let session: PtySession | undefined;

    beforeAll(async () => {
      rig = await startRig(tmp.dir, [{ storeId: 'S2', terminalId: 'K1' }]);
    }, 30_000);
    afterAll(async () => {
      session?.kill();
      await rig?.stop();
      tmp.cleanup();
    });

    test('a technician answers every prompt with keystrokes and ends with a provisioned terminal', async () => {
      const issued = issueEnrolment({
        dbFile: rig.upstreamDb,
        rootFile: rig.rootFile,
        storeId: 'S2',
        terminalId: 'K1',
        scope: SCOPE,
      });
      const site = join(tmp.dir, 'site');
      const configFile = join(site, 'etc', 'config.json');
      const s = new PtySession([
        'provision',
        '--config',
        configFile,
        '--data-dir',
        join(site, 'var', 'veriterm'),
        '--system-root',
        join(site, 'sysroot'),
        '--serial-dir',
        dirname(rig.scanner.stablePath),
        '--probe-printer',
        `127.0.0.1:${rig.printer.port}`,
        '--enrol-user',
        ENROL_USER.username,
        '--enrol-password',
        ENROL_USER.password,
      ]);
      session = s;
      let at = await s.waitFor(/Store id/);
      s.type('S2\r');
      at = await s.waitFor(/Terminal id/, at);
      s.type('K1\r');
      at = await s.waitFor(/Role of this terminal/, at);
      s.type('\r'); // kiosk (first option)
      at = await s.waitFor(/HTTP port of the kiosk page/, at);
      s.type('\r'); // the default 8080
      at = await s.waitFor(/Language the kiosk shows first/, at);
      s.type('\r'); // zh-CN (first option)
      at = await s.waitFor(/Scanner[\s\S]*serial scanner .*Fake_Scanner/, at);
      s.type('\r'); // the detected PTY scanner
      at = await s.waitFor(/Receipt printer[\s\S]*network printer 127\.0\.0\.1/, at);
      s.type('\r'); // the detected loopback printer
      at = await s.waitFor(/Printer model \(receipt profile\)/, at);
      s.type('\r'); // epson-tm-t88 (first option)
      at = await s.waitFor(/Scan any product code .* now/, at);
      rig.scanner.write(']d2010950600013435221SN-0002\r');
      at = await s.waitFor(/gs1 key 010950600013435221SN-0002/, at);
      at = await s.waitFor(/Did the test slip come out right/, at);
      s.type('y');
      at = await s.waitFor(/Broker URL/, at);
      s.type(`${rig.url}\r`); // mqtts without a CA file: the sealed grant brings the CA
      at = await s.waitFor(/One-time enrolment code/, at);
      // A mistyped (well-formed) code: upstream refuses it and the wizard asks again.
      const typo = issued.code.startsWith('A') ? `B${issued.code.slice(1)}` : `A${issued.code.slice(1)}`;
      s.type(`${typo}\r`);
      at = await s.waitFor(/wrong enrolment code for store S2 terminal K1 \(4 attempt\(s\) left\)/, at);
      at = await s.waitFor(/One-time enrolment code/, at);
      s.type(`${issued.code.toLowerCase()}\r`); // typed in lower case: normalised
      at = await s.waitFor(/Is this exactly the fingerprint upstream printed/, at);
      expect(s.text).toContain(issued.fingerprint);
      s.type('y');
      await s.waitFor(/terminal ready/, at, 30_000);
      expect(await s.exited).toBe(0);
      const config = JSON.parse(readFileSync(configFile, 'utf8')) as {
        terminal: { terminalId: string };
        sync: { tls?: { caFile: string } };
      };
      expect(config.terminal.terminalId).toBe('K1');
      expect(s.text).toMatch(/Kiosk URL {2}http:\/\/\S+:8080\//);
      expect(existsSync(config.sync.tls!.caFile)).toBe(true);
      expect(s.text).toMatch(/OK\s+broker/);
    }, 60_000);

    test('answering "no" to the fingerprint stops with a clear message and writes nothing', async () => {
      const issued = issueEnrolment({
        dbFile: rig.upstreamDb,
        rootFile: rig.rootFile,
        storeId: 'S2',
        terminalId: 'K1',
        scope: SCOPE,
      });
      const site = join(tmp.dir, 'site-no');
      const s = new PtySession([
        'provision',
        '--config',
        join(site, 'etc', 'config.json'),
        '--data-dir',
        join(site, 'var', 'veriterm'),
        // Never the real '/': a root run would check (and build) this checkout as the installed runtime.
        '--system-root',
        join(site, 'sysroot'),
        '--store',
        'S2',
        '--terminal',
        'K1',
        '--role',
        'checkout',
        '--system-root',
        join(site, 'sysroot'),
        '--http-port',
        '8090',
        '--locale',
        'en',
        '--scanner',
        'none',
        '--printer',
        'none',
        '--broker',
        rig.url,
        '--broker-ca',
        rig.pki.caFile,
        '--enrol-user',
        ENROL_USER.username,
        '--enrol-password',
        ENROL_USER.password,
      ]);
      session = s;
      let at = await s.waitFor(/One-time enrolment code/);
      s.type(`${issued.code}\r`);
      at = await s.waitFor(/Is this exactly the fingerprint/, at);
      s.type('n');
      await s.waitFor(/does not match the one upstream printed[\s\S]*Nothing was written/, at);
      expect(await s.exited).toBe(1);
      expect(existsSync(join(site, 'etc'))).toBe(false);
      expect(existsSync(join(site, 'var', 'veriterm'))).toBe(false);
    }, 60_000);
  },
);
