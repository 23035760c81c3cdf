import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../../cli/main.js';
import { answersUi } from '../../../provisioning/answers-ui.js';
import { decommission } from '../../../provisioning/decommission.js';
import { runDoctor } from '../../../provisioning/doctor/run-doctor.js';
import { provision } from '../../../provisioning/provision.js';
import { VeritermError } from '../../../terminal/errors.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { canSwitchUser, NOT_IN_ACL, type ProvisioningRig, siteAnswers, startRig } from './fixture.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/veriterm.js');

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { stream, text: () => text };
}

const rejectsWith = (code: string) => (e: unknown) => e instanceof VeritermError && e.code === code;

/** `veriterm provision --answers FILE` as uid/gid 65534: a technician without root. */
function provisionAsNobody(answersFile: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'provision', '--answers', answersFile], {
      uid: 65534,
      gid: 65534,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('socat'))(
  'veriterm provision is all-or-nothing, and "ready" means a verifying terminal',
  () => {
    const tmp = makeTempDir('vt-provision-faults-');
    let rig: ProvisioningRig;
    const S = 'S1';

    beforeAll(async () => {
      chmodSync(tmp.dir, 0o755);
      rig = await startRig(
        tmp.dir,
        ['F1', 'F2', 'F3', 'F4'].map((terminalId) => ({ storeId: S, terminalId })),
      );
    }, 30_000);
    afterAll(async () => {
      await rig?.stop();
      tmp.cleanup();
    });

    const nothingWritten = (site: string) => {
      expect(existsSync(join(site, 'etc', 'config.json'))).toBe(false);
      const left = existsSync(join(site, 'var')) ? readdirSync(join(site, 'var')) : [];
      expect(left).toEqual([]);
    };

    test('a missing CA file is a clear error before the code is spent; the same code then works', async () => {
      const { answers, site } = siteAnswers(rig, tmp.dir, { storeId: S, terminalId: 'F1' });
      const missing = { ...answers, brokerCaFile: join(tmp.dir, 'no-such-ca.pem') };
      const out = capture();
      const err = await provision(missing, { ui: answersUi(out.stream) }).catch((e: unknown) => e);
      expect(rejectsWith('ca_file_missing')(err)).toBe(true);
      expect((err as Error).message).toContain(`the broker CA file ${missing.brokerCaFile} does not exist`);
      expect((err as Error).message).toContain('the enrolment code is still valid');
      expect(out.text()).not.toContain('asking upstream');
      nothingWritten(site);
      const ok = await provision(answers, { ui: answersUi(capture().stream) });
      expect(ok.readiness).toMatchObject({ ready: true, registry: { scope: 'cn-east' } });
    }, 30_000);

    test('a config that would be invalid is refused before the code is spent', async () => {
      const { answers, site } = siteAnswers(rig, tmp.dir, { storeId: S, terminalId: 'F1' });
      const bad = { ...answers, scanner: { type: 'serial', path: rig.scanner.stablePath, baudRate: 'fast' } };
      const out = capture();
      const err = await provision(bad, { ui: answersUi(out.stream) }).catch((e: unknown) => e);
      expect(rejectsWith('bad_config')(err)).toBe(true);
      expect((err as Error).message).toContain('scanners.0.baudRate');
      expect(out.text()).not.toContain('asking upstream');
      nothingWritten(site);
    });

    test('a data folder that is a file is refused before enrolment, not with a stack trace', async () => {
      const { answers } = siteAnswers(rig, tmp.dir, { storeId: S, terminalId: 'F2' });
      mkdirSync(dirname(answers.dataDir), { recursive: true });
      writeFileSync(answers.dataDir, 'not a folder');
      const err = await provision(answers, { ui: answersUi(capture().stream) }).catch((e: unknown) => e);
      expect(rejectsWith('data_dir_not_writable')(err)).toBe(true);
      expect((err as Error).message).toContain(`the data folder ${answers.dataDir} is a file`);
      rmSync(answers.dataDir);
    });

    test.skipIf(!canSwitchUser())(
      'read-only config and data folders (as a user without root): both named, the code not spent',
      async () => {
        const { answers, site } = siteAnswers(rig, tmp.dir, { storeId: S, terminalId: 'F2' });
        // Root-owned 0755 folders: the technician's user may read but not write them.
        mkdirSync(join(site, 'etc'), { recursive: true });
        mkdirSync(join(site, 'var'), { recursive: true });
        const file = join(tmp.dir, 'answers-F2.json');
        writeFileSync(file, JSON.stringify(answers));
        chmodSync(file, 0o644);
        const run = await provisionAsNobody(file);
        expect(run.code).toBe(1);
        expect(run.out).toContain(`config folder ${join(site, 'etc')} is not writable for this user`);
        expect(run.out).toContain('[config_dir_not_writable]');
        expect(run.out).toContain(`data folder ${join(site, 'var')} is not writable for this user`);
        expect(run.out).toContain('[data_dir_not_writable]');
        expect(run.out).toContain('the enrolment code is still valid');
        expect(run.out).not.toMatch(/\n\s+at /); // no stack trace
        nothingWritten(site);
        // The code was not spent: root provisions with the very same answers.
        const ok = await provision(answers, { ui: answersUi(capture().stream) });
        expect(ok.readiness.ready).toBe(true);
      },
      60_000,
    );

    test('a half state (code spent, keys written, no config) is detected and finished by re-running', async () => {
      const { answers } = siteAnswers(rig, tmp.dir, { storeId: S, terminalId: 'F3' });
      await provision(answers, { ui: answersUi(capture().stream) });
      // What a config folder refusing the write left behind before preflight existed.
      rmSync(answers.configFile);
      const log: string[] = [];
      await expect(
        decommission({ configFile: answers.configFile, log: (l) => log.push(l) }),
      ).rejects.toSatisfy(
        (e: unknown) =>
          rejectsWith('no_config')(e) && (e as Error).message.includes('re-run the same veriterm provision'),
      );
      // The same answers again: the code is spent, yet no new one is needed.
      const out = capture();
      const again = await provision(answers, { ui: answersUi(out.stream) });
      expect(out.text()).toContain('but no config was written: finishing that provisioning');
      expect(out.text()).not.toContain('asking upstream');
      expect(again.readiness.ready).toBe(true);
      const checks = await runDoctor({ configFile: answers.configFile, timeoutMs: 3000 });
      expect(checks.filter((c) => c.level === 'fail')).toEqual([]);
      // A complete provisioning is still refused without --force.
      await expect(provision(answers, { ui: answersUi(capture().stream) })).rejects.toSatisfy(
        rejectsWith('already_provisioned'),
      );
    }, 45_000);

    test('a terminal the broker ACL does not cover is provisioned but not "ready": cause and remedy named', async () => {
      const { answers } = siteAnswers(rig, tmp.dir, NOT_IN_ACL);
      const file = join(tmp.dir, 'answers-acl.json');
      writeFileSync(file, JSON.stringify(answers));
      const out = capture();
      const code = await main(['provision', '--answers', file], {
        stdout: out.stream,
        stderr: out.stream,
        stdin: new PassThrough(),
      });
      expect(code).toBe(1);
      expect(out.text()).toContain('provisioned, but NOT ready to verify [publish_refused]');
      expect(out.text()).toContain('PUBACK 0x87 Not authorized');
      expect(out.text()).toContain('the broker ACL does not cover this terminal');
      expect(out.text()).not.toContain('terminal ready');
    }, 30_000);

    test('upstream not answering: provisioned but not ready [no_upstream_ack]', async () => {
      const { answers } = siteAnswers(rig, tmp.dir, { storeId: S, terminalId: 'F4' });
      await provision(answers, { ui: answersUi(capture().stream) });
      // Finishing a half state needs no upstream for enrolment, only for the readiness probe.
      rmSync(answers.configFile);
      await rig.stopUpstream();
      try {
        const result = await provision(answers, { ui: answersUi(capture().stream) });
        expect(result.readiness).toMatchObject({ ready: false, cause: 'no_upstream_ack' });
        if (result.readiness.ready) throw new Error('unreachable');
        expect(result.readiness.remedy).toContain('checks that `veriterm upstream` runs');
      } finally {
        await rig.startUpstream();
      }
    }, 45_000);
  },
);
