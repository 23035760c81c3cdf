import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answersUi } from '../../../provisioning/answers-ui.js';
import { decommission } from '../../../provisioning/decommission.js';
import { provision } from '../../../provisioning/provision.js';
import { VeritermError } from '../../../terminal/errors.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import { freePort } from '../../helpers/free-port.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { type ProvisioningRig, siteAnswers, startRig } from './fixture.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/veriterm.js');

/** The retained status document of S1/`terminalId` as a fresh subscriber gets it. */
async function retainedStatus(rig: ProvisioningRig, terminalId: string): Promise<Record<string, unknown>> {
  const client = await mqtt.connectAsync(rig.url, {
    username: 'upstream',
    password: 'upstream-secret-for-tests',
    ca: readFileSync(rig.pki.caFile),
    protocolVersion: 5,
  });
  try {
    const doc = new Promise<Record<string, unknown>>((resolve) =>
      client.on('message', (_t, payload, packet) => {
        if (packet.retain) resolve(JSON.parse(payload.toString()) as Record<string, unknown>);
      }),
    );
    await client.subscribeAsync(`vt/S1/${terminalId}/status`);
    return await doc;
  } finally {
    await client.endAsync();
  }
}

async function answersHttp(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('socat'))(
  'veriterm decommission takes the terminal out of service',
  () => {
    const tmp = makeTempDir('vt-decommission-');
    let rig: ProvisioningRig;

    beforeAll(async () => {
      rig = await startRig(
        tmp.dir,
        ['E1', 'E2', 'E3'].map((terminalId) => ({ storeId: 'S1', terminalId })),
      );
    }, 30_000);
    afterAll(async () => {
      await rig?.stop();
      tmp.cleanup();
    });

    test('order: stop and disable first, final status, revocation, units and udev rules, then the wipe', async () => {
      const { answers, site } = siteAnswers(
        rig,
        tmp.dir,
        { storeId: 'S1', terminalId: 'E1' },
        { install: 'install' },
      );
      const provisioned = await provision(answers, {
        ui: answersUi(new PassThrough()),
        usbIdsOf: () => ({ vendorId: '0c2e', productId: '0b61' }),
      });
      expect(provisioned.installed).toHaveLength(3);
      const keyId = loadOrCreateTerminalKey(join(answers.dataDir, 'identity', 'terminal-ed25519.pem')).keyId;
      const events: string[] = [];
      const result = await decommission({
        configFile: answers.configFile,
        log: () => undefined,
        systemRoot: join(site, 'sysroot'),
        run: async (argv) => {
          // When the service is stopped, nothing else has happened yet.
          events.push(`run ${argv.join(' ')}`);
          expect(existsSync(answers.dataDir)).toBe(true);
          expect(readdirSync(join(site, 'sysroot', 'etc', 'systemd', 'system'))).toHaveLength(2);
          return { code: 0, output: '' };
        },
        revoke: async ({ config, identity }) => {
          events.push(`revoke ${config.terminal.terminalId} ${identity.keyId}`);
          // Revocation comes after the final status, and before the keys are wiped.
          expect((await retainedStatus(rig, 'E1')).state).toBe('decommissioned');
          expect(existsSync(answers.dataDir)).toBe(true);
          return { revoked: true };
        },
      });
      expect(events).toEqual([
        'run systemctl disable --now veriterm-kiosk.service veriterm.service',
        `revoke E1 ${keyId}`,
      ]);
      expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
        ['stop', true],
        ['status', true],
        ['revoke', true],
        ['units', true],
        ['wipe', true],
      ]);
      expect(result.revoked).toBe(true);
      expect(readdirSync(join(site, 'sysroot', 'etc', 'systemd', 'system'))).toEqual([]);
      expect(readdirSync(join(site, 'sysroot', 'etc', 'udev', 'rules.d'))).toEqual([]);
      expect(existsSync(answers.dataDir)).toBe(false);
      expect(existsSync(answers.configFile)).toBe(false);
    }, 45_000);

    test('a revocation upstream refused, and a unit that cannot be removed, are reported with how to finish', async () => {
      const { answers, site } = siteAnswers(rig, tmp.dir, { storeId: 'S1', terminalId: 'E2' });
      await provision(answers, { ui: answersUi(new PassThrough()) });
      // A leftover unit from an earlier install that cannot be removed (a folder in its place).
      mkdirSync(join(site, 'sysroot', 'etc', 'systemd', 'system', 'veriterm.service', 'x'), {
        recursive: true,
      });
      const log: string[] = [];
      const result = await decommission({
        configFile: answers.configFile,
        log: (l) => log.push(l),
        systemRoot: join(site, 'sysroot'),
        run: async () => ({
          code: 1,
          output: 'Failed to disable unit: Unit file veriterm.service does not exist.',
        }),
        revoke: async () => ({ revoked: false, reason: 'upstream unreachable' }),
      });
      expect(result.revoked).toBe(false);
      const revoke = result.steps.find((s) => s.step === 'revoke')!;
      expect(revoke.ok).toBe(false);
      expect(revoke.detail).toContain('upstream unreachable');
      expect(revoke.detail).toContain('veriterm upstream revoke --store S1 --terminal E2');
      const units = result.steps.find((s) => s.step === 'units')!;
      expect(units.ok).toBe(false);
      expect(units.detail).toContain('veriterm.service');
      expect(log.join('\n')).toMatch(/WARN revoke: upstream did not revoke/);
      expect(result.steps.find((s) => s.step === 'stop')?.detail).toBe(
        'no veriterm service installed; no terminal process running',
      );
    }, 30_000);

    test('a running terminal process is stopped before anything else; after, it no longer answers and stays "decommissioned"', async () => {
      const httpPort = await freePort();
      const { answers } = siteAnswers(
        rig,
        tmp.dir,
        { storeId: 'S1', terminalId: 'E3' },
        { httpPort, scanner: 'none' },
      );
      await provision(answers, { ui: answersUi(new PassThrough()) });
      const terminal: ChildProcess = spawn(process.execPath, [BIN, 'run', '--config', answers.configFile], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      terminal.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      try {
        await waitUntil(`terminal answering on ${httpPort} (${stderr})`, () => answersHttp(httpPort));
        await waitUntil('status online', async () => (await retainedStatus(rig, 'E3')).state === 'online');

        // systemctl that does not stop it (no unit): decommission sees the process and refuses.
        const refused = await decommission({
          configFile: answers.configFile,
          log: () => undefined,
          systemRoot: join(tmp.dir, 'root-E3'),
          run: async () => ({ code: 5, output: 'Unit veriterm.service not loaded.' }),
          revoke: async () => ({ revoked: true }),
        }).catch((e: unknown) => e);
        expect(refused instanceof VeritermError && refused.code === 'terminal_running').toBe(true);
        expect((refused as Error).message).toContain(`process ${terminal.pid}`);
        expect(existsSync(answers.dataDir)).toBe(true);
        expect(await answersHttp(httpPort)).toBe(true);

        // The runner stands in for systemctl: it stops the service's process (SIGTERM) and waits.
        const result = await decommission({
          configFile: answers.configFile,
          log: () => undefined,
          systemRoot: join(tmp.dir, 'root-E3'),
          run: async () => {
            const exited = once(terminal, 'exit');
            terminal.kill('SIGTERM');
            await exited;
            return { code: 0, output: '' };
          },
          revoke: async () => ({ revoked: true }),
        });
        expect(result.steps.map((s) => s.step)).toEqual(['stop', 'status', 'revoke', 'units', 'wipe']);
        expect(terminal.exitCode !== null || terminal.signalCode !== null).toBe(true);
        expect(await answersHttp(httpPort)).toBe(false);
        // Nothing republished "online" over the final status.
        expect(await retainedStatus(rig, 'E3')).toMatchObject({ state: 'decommissioned', terminalId: 'E3' });
      } finally {
        if (terminal.exitCode === null && terminal.signalCode === null) terminal.kill('SIGKILL');
      }
    }, 150_000);
  },
);
