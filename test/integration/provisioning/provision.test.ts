import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../../cli/main.js';
import { type AnswersInput, answersSchema } from '../../../provisioning/answers.js';
import { answersUi } from '../../../provisioning/answers-ui.js';
import { syncOptionsFromConfig } from '../../../provisioning/broker-credentials.js';
import { decommission } from '../../../provisioning/decommission.js';
import { provision } from '../../../provisioning/provision.js';
import { loadConfigFile } from '../../../terminal/config/index.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { VeritermError } from '../../../terminal/errors.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import { Ledger } from '../../../terminal/ledger/index.js';
import { silentLogger } from '../../../terminal/logger.js';
import { startTerminal } from '../../../terminal/main.js';
import { createSync } from '../../../terminal/sync/index.js';
import { issueEnrolment } from '../../../upstream/enrolment-issue.js';
import { freePort } from '../../helpers/free-port.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { ENROL_USER, type ProvisioningRig, SCOPE, startRig } from './fixture.js';

const GS1_SCAN = ']d2010950600013435221SN-0001\r';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { stream, text: () => text };
}

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('socat'))(
  'veriterm provision against a real broker',
  () => {
    const tmp = makeTempDir('vt-provision-');
    let rig: ProvisioningRig;
    const ids = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8'].map((terminalId) => ({
      storeId: 'S1',
      terminalId,
    }));

    beforeAll(async () => {
      rig = await startRig(tmp.dir, ids);
    }, 30_000);
    afterAll(async () => {
      await rig?.stop();
      tmp.cleanup();
    });

    /** Answers for terminal `t`, with a fresh code issued upstream unless given. */
    function answersFor(t: string, extra: Partial<AnswersInput> = {}) {
      const site = join(tmp.dir, `site-${t}`);
      const issued = issueEnrolment({
        dbFile: rig.upstreamDb,
        rootFile: rig.rootFile,
        storeId: 'S1',
        terminalId: t,
        scope: SCOPE,
      });
      const answers = answersSchema.parse({
        configFile: join(site, 'etc', 'config.json'),
        dataDir: join(site, 'var', 'veriterm'),
        scanner: { type: 'serial', path: rig.scanner.stablePath, debounceMs: 0 },
        printer: { transport: 'network', host: '127.0.0.1', port: rig.printer.port, profile: 'xprinter-80' },
        storeId: 'S1',
        terminalId: t,
        role: 'kiosk',
        brokerUrl: rig.url,
        brokerCaFile: rig.pki.caFile,
        enrolUsername: ENROL_USER.username,
        enrolPassword: ENROL_USER.password,
        enrolmentCode: issued.code,
        rootFingerprint: issued.fingerprint,
        enrolTimeoutMs: 5000,
        scanTimeoutMs: 5000,
        systemRoot: join(site, 'sysroot'),
        ...extra,
      });
      return { answers, issued, site };
    }

    const nothingWritten = (site: string) => {
      expect(existsSync(join(site, 'etc', 'config.json'))).toBe(false);
      expect(existsSync(join(site, 'var', 'veriterm'))).toBe(false);
      const left = existsSync(join(site, 'var')) ? readdirSync(join(site, 'var')) : [];
      expect(left).toEqual([]);
    };

    async function failWith(
      code: string,
      answers: ReturnType<typeof answersFor>['answers'],
      site: string,
      scan = false,
    ) {
      const out = capture();
      const run = provision(answers, {
        ui: answersUi(out.stream),
        onWaitingForScan: scan ? () => rig.scanner.write(GS1_SCAN) : undefined,
      });
      await expect(run).rejects.toSatisfy((e: unknown) => e instanceof VeritermError && e.code === code);
      nothingWritten(site);
      return out.text();
    }

    test('full non-interactive provisioning ends with a working terminal', async () => {
      const { answers, issued, site } = answersFor('T1');
      const out = capture();
      const before = rig.printer.receipts.length;
      const result = await provision(answers, {
        ui: answersUi(out.stream),
        onWaitingForScan: () => rig.scanner.write(GS1_SCAN),
        usbIdsOf: () => ({ vendorId: '0c2e', productId: '0b61', serial: 'A1' }),
      });
      const text = out.text();
      // Step 1: the test scan was read and parsed.
      expect(text).toContain('gs1 key 010950600013435221SN-0001');
      // Test slip and summary slip on the loopback printer.
      const receipts = rig.printer.receipts.slice(before);
      expect(receipts).toHaveLength(2);
      expect(receipts[0]!.lines.join('\n')).toContain('正品验证终端 打印测试');
      expect(receipts[0]!.lines.join('\n')).toContain('T1');
      expect(receipts[0]!.qrCodes).toEqual(['veriterm:S1/T1']);
      expect(receipts[1]!.lines.join('\n')).toContain(issued.fingerprint.slice(0, 24));
      expect(receipts[1]!.lines.join('\n')).toContain(issued.fingerprint.slice(25));

      // Step 2: the key is 0600 and never printed.
      const paths = {
        key: join(answers.dataDir, 'identity', 'terminal-ed25519.pem'),
        creds: join(answers.dataDir, 'credentials', 'broker.json'),
      };
      expect(statSync(paths.key).mode & 0o777).toBe(0o600);
      expect(statSync(paths.creds).mode & 0o777).toBe(0o600);
      const keyPem = readFileSync(paths.key, 'utf8');
      const password = (JSON.parse(readFileSync(paths.creds, 'utf8')) as { password: string }).password;
      expect(text).not.toContain(keyPem.split('\n')[1]!);
      expect(text).not.toContain(password);

      // Step 3: upstream recorded this terminal's public key.
      const { EnrolmentStore } = await import('../../../upstream/enrolment-store.js');
      const db = openDatabase(rig.upstreamDb);
      const enrolled = new EnrolmentStore(db).terminal('S1', 'T1');
      db.close();
      expect(enrolled?.publicKey).toBe(loadOrCreateTerminalKey(paths.key).publicKeyRaw);

      // Step 4: the config is valid and holds no secrets.
      const configText = readFileSync(answers.configFile, 'utf8');
      expect(configText).not.toContain(password);
      expect(configText).not.toContain('PRIVATE KEY');
      expect(configText).not.toContain('PUBLIC KEY'); // upstream's command key lives in the data dir
      const loaded = loadConfigFile(answers.configFile, { PORT: '0' });
      expect(loaded.ok).toBe(true);
      expect(readdirSync(join(site, 'var'))).toEqual(['veriterm']);

      // Step 5: udev, systemd and kiosk units under the injected root.
      const sys = join(site, 'sysroot', 'etc');
      expect(readFileSync(join(sys, 'udev/rules.d/99-veriterm.rules'), 'utf8')).toContain(
        'ENV{ID_VENDOR_ID}=="0c2e"',
      );
      expect(readFileSync(join(sys, 'systemd/system/veriterm.service'), 'utf8')).toContain(
        `run --config ${answers.configFile}`,
      );
      expect(readFileSync(join(sys, 'systemd/system/veriterm-kiosk.service'), 'utf8')).toContain('--kiosk');
      expect(result.installed).toHaveLength(3);

      // Step 6: doctor passed inside provisioning, and passes again from the CLI.
      expect(result.checks.filter((c) => c.level === 'fail')).toEqual([]);
      expect(result.checks.find((c) => c.name === 'broker')?.message).toMatch(/TLS/);
      expect(result.checks.find((c) => c.name === 'registry data')?.level).toBe('ok');
      expect(text).toMatch(/registry v\d+ of scope cn-east/);
      const doctorOut = capture();
      const code = await main(['doctor', '--config', answers.configFile], {
        stdout: doctorOut.stream,
        stderr: doctorOut.stream,
        stdin: new PassThrough(),
      });
      expect(doctorOut.text()).toContain('OK    broker');
      expect(code).toBe(0);

      // The terminal starts with the written config.
      if (!loaded.ok) throw new Error('unreachable');
      const terminal = await startTerminal(loaded.config, silentLogger(), { staticDir: site });
      try {
        const res = await fetch(`${terminal.url}/api/v1/health`);
        expect(res.status).toBe(200);
        // The first registry arrived during provisioning, verified under the pinned root: the
        // terminal answers "genuine" straight away.
        expect(terminal.registry.state()?.scope).toBe(SCOPE);
        const genuine = rig.demo.codes.find((c) => c.expect === 'genuine')!;
        expect(terminal.verifier.verify(genuine.scan).verdict).toBe('genuine');
      } finally {
        await terminal.stop();
      }

      // With the written config and credentials, the terminal's link delivers a signed record to
      // the reference upstream, which learnt the terminal's key at enrolment.
      const ledgerDb = openDatabase(join(answers.dataDir, 'terminal.db'));
      const ledger = new Ledger({
        db: ledgerDb,
        identity: loadOrCreateTerminalKey(paths.key),
        storeId: 'S1',
        terminalId: 'T1',
      });
      const sync = createSync(
        {
          outbox: ledger,
          db: ledgerDb,
          logger: silentLogger(),
          stagingDir: join(answers.dataDir, 'sync-staging'),
        },
        syncOptionsFromConfig(loaded.config.sync!),
      );
      const ingested = new Promise<{ accepted: unknown[]; problem?: unknown }>((resolve) =>
        rig.upstream().events.on('ingested', (e) => {
          if (e.terminalId === 'T1') resolve(e);
        }),
      );
      try {
        await sync.start();
        ledger.append('alert', { kind: 'suspicious_report', note: 'first record after provisioning' });
        sync.kick();
        const e = await ingested;
        expect(e.problem).toBeUndefined();
        expect(e.accepted).toHaveLength(1);
      } finally {
        await sync.stop();
        ledgerDb.close();
      }

      // Provisioning again without --force refuses and keeps everything.
      const again = answersFor('T1').answers;
      await expect(provision(again, { ui: answersUi(capture().stream) })).rejects.toSatisfy(
        (e: unknown) => e instanceof VeritermError && e.code === 'already_provisioned',
      );
      expect(readFileSync(answers.configFile, 'utf8')).toBe(configText);
    }, 60_000);

    test('a wrong enrolment code is refused by upstream; nothing is written', async () => {
      const { answers, issued, site } = answersFor('T2', { skipTestScan: true, skipTestPrint: true });
      const wrong = issued.code.startsWith('A') ? `B${issued.code.slice(1)}` : `A${issued.code.slice(1)}`;
      const text = await failWith('bad_code', { ...answers, enrolmentCode: wrong }, site);
      expect(text).not.toContain(issued.code);
    }, 20_000);

    test("a malformed code is refused before anything is sent (and a killed run's staging is cleared)", async () => {
      const { answers, site } = answersFor('T2', { skipTestScan: true, skipTestPrint: true });
      mkdirSync(`${answers.dataDir}.staging-99999999/identity`, { recursive: true });
      await failWith('bad_code', { ...answers, enrolmentCode: 'HELLO' }, site);
    });

    test('an unreachable broker gets a clear message', async () => {
      const port = await freePort();
      const { answers, site } = answersFor('T3', { skipTestScan: true, skipTestPrint: true });
      await failWith('broker_unreachable', { ...answers, brokerUrl: `mqtts://127.0.0.1:${port}` }, site);
    });

    test('a wrong enrolment account is refused by the broker', async () => {
      const { answers, site } = answersFor('T3', { skipTestScan: true, skipTestPrint: true });
      await failWith('broker_refused', { ...answers, enrolPassword: 'wrong' }, site);
    });

    test('a fingerprint that does not match stops provisioning', async () => {
      const { answers, site } = answersFor('T4', { skipTestScan: true, skipTestPrint: true });
      await failWith(
        'fingerprint_mismatch',
        { ...answers, rootFingerprint: '0000 1111 2222 3333 4444 5555 6666 7777 8888 9999' },
        site,
      );
    });

    test('a used code cannot enrol twice', async () => {
      const { answers, site } = answersFor('T5', { skipTestScan: true, skipTestPrint: true });
      await failWith('fingerprint_mismatch', { ...answers, rootFingerprint: 'AAAA' }, site);
      await failWith('bad_code', answers, site);
    });

    test('a scanner that is gone, and a printer that is gone', async () => {
      const { answers, site } = answersFor('T6');
      await failWith(
        'device_gone',
        { ...answers, scanner: { type: 'serial', path: join(tmp.dir, 'no-such-scanner') } },
        site,
      );
      const port = await freePort();
      await failWith(
        'device_gone',
        { ...answers, printer: { transport: 'network', host: '127.0.0.1', port, connectTimeoutMs: 300 } },
        site,
        true,
      );
    }, 20_000);

    test('no answer from upstream times out with a clear message', async () => {
      const { answers, site } = answersFor('T7', {
        skipTestScan: true,
        skipTestPrint: true,
        enrolTimeoutMs: 800,
      });
      await rig.stopUpstream();
      try {
        const text = await failWith('enrol_timeout', answers, site).catch((e: unknown) => {
          throw e;
        });
        expect(text).toContain('asking upstream');
      } finally {
        await rig.startUpstream();
      }
    });

    test('veriterm provision --answers FILE (the CLI) provisions; a missing answer names the field', async () => {
      const { answers, site } = answersFor('T8', { skipTestScan: true, install: 'print' });
      const file = join(tmp.dir, 'answers-T8.json');
      const { storeId: _omit, ...withoutStore } = answers;
      writeFileSync(file, JSON.stringify(withoutStore));
      const io = () => {
        const out = capture();
        return { out, io: { stdout: out.stream, stderr: out.stream, stdin: new PassThrough() } };
      };
      const first = io();
      expect(await main(['provision', '--answers', file], first.io)).toBe(1);
      expect(first.out.text()).toContain('set "storeId" in the answers file or pass --store');
      nothingWritten(site);
      const bad = io();
      expect(await main(['provision', '--answers', file, '--store', 'S1', '--role', 'till'], bad.io)).toBe(2);
      expect(bad.out.text()).toContain('role');
      const ok = io();
      expect(await main(['provision', '--answers', file, '--store', 'S1'], ok.io)).toBe(0);
      expect(ok.out.text()).toContain(
        `terminal ready. Start it with: veriterm run --config ${answers.configFile}`,
      );
      expect(existsSync(answers.configFile)).toBe(true);
      // install: 'print' (a technician without root): every file and command shown, nothing installed.
      expect(ok.out.text()).toContain('--- /etc/systemd/system/veriterm.service');
      expect(ok.out.text()).toContain('systemctl enable --now veriterm.service veriterm-kiosk.service');
      expect(existsSync(join(site, 'sysroot'))).toBe(false);
    }, 30_000);

    test('decommission refuses with unsynced records, then wipes and publishes a final status', async () => {
      const { answers } = answersFor('T7', { skipTestScan: true, skipTestPrint: true });
      await provision(answers, { ui: answersUi(capture().stream) });
      const config = loadConfigFile(answers.configFile);
      if (!config.ok) throw new Error('bad config');
      const keyFile = join(answers.dataDir, 'identity', 'terminal-ed25519.pem');
      const ledger = new Ledger({
        file: join(answers.dataDir, 'terminal.db'),
        identity: loadOrCreateTerminalKey(keyFile),
        storeId: 'S1',
        terminalId: 'T7',
      });
      ledger.append('alert', { kind: 'suspicious_report', note: 'test' });
      ledger.close();
      const log: string[] = [];
      // Never the host's systemctl or /etc: a recorder and a temp root.
      const calls: string[][] = [];
      const system = {
        run: async (argv: string[]) => {
          calls.push(argv);
          return { code: 0, output: '' };
        },
        systemRoot: join(tmp.dir, 'decommission-root'),
        revoke: async () => ({ revoked: true as const }),
      };
      await expect(
        decommission({ configFile: answers.configFile, log: (l) => log.push(l), ...system }),
      ).rejects.toSatisfy((e: unknown) => e instanceof VeritermError && e.code === 'unsynced');
      expect(existsSync(keyFile)).toBe(true);

      const watcher = await mqtt.connectAsync(rig.url, {
        username: 'upstream',
        password: 'upstream-secret-for-tests',
        ca: readFileSync(rig.pki.caFile),
        protocolVersion: 5,
      });
      const final = new Promise<Record<string, unknown>>((resolve) => {
        watcher.on('message', (_t, payload) => {
          const doc = JSON.parse(payload.toString()) as Record<string, unknown>;
          if (doc.state === 'decommissioned') resolve(doc);
        });
      });
      await watcher.subscribeAsync('vt/S1/T7/status');
      // Refused for unsynced records before anything ran: the service was not even stopped.
      expect(calls).toEqual([]);
      const result = await decommission({
        configFile: answers.configFile,
        force: true,
        log: (l) => log.push(l),
        ...system,
      });
      expect(result.unsynced).toBe(1);
      expect(result.statusPublished).toBe(true);
      expect(await final).toMatchObject({ storeId: 'S1', terminalId: 'T7', unsynced: 1 });
      await watcher.endAsync();
      expect(existsSync(answers.dataDir)).toBe(false);
      expect(existsSync(answers.configFile)).toBe(false);
    }, 30_000);
  },
);
