import { spawn } from 'node:child_process';
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answersUi } from '../../../provisioning/answers-ui.js';
import { runDoctor } from '../../../provisioning/doctor/run-doctor.js';
import type { DoctorCheck } from '../../../provisioning/doctor/types.js';
import { provision } from '../../../provisioning/provision.js';
import { freePort } from '../../helpers/free-port.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { canSwitchUser, NOT_IN_ACL, type ProvisioningRig, siteAnswers, startRig } from './fixture.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/veriterm.js');
const NOBODY = 65534;

/** `veriterm doctor --json` run as uid/gid 65534 (what the service user sees of root-owned files). */
function doctorAsNobody(configFile: string): Promise<DoctorCheck[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'doctor', '--config', configFile, '--json'], {
      uid: NOBODY,
      gid: NOBODY,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', reject);
    child.once('close', () => {
      try {
        resolve((JSON.parse(out) as { data: { checks: DoctorCheck[] } }).data.checks);
      } catch {
        reject(new Error(`doctor as nobody printed no JSON: ${out}\n${err}`));
      }
    });
  });
}

/** The parts of a written config the faults below change. */
interface SiteConfig {
  dataDir: string;
  http?: { port: number };
  scanners: { path?: string }[];
  printers: { port?: number; connectTimeoutMs?: number }[];
  sync: { brokerUrl: string; credentialsFile: string; registry: { scopes: string[] } };
}

interface Case {
  cause: string;
  /** The check that must carry the cause. */
  check: string;
  remedy: RegExp;
  message?: RegExp;
  /** Sets the fault up for real; returns how to run doctor, and how to undo it. */
  setup: () => Promise<{ configFile: string; now?: Date; asNobody?: boolean; undo?: () => Promise<void> }>;
}

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('socat'))(
  'veriterm doctor: every cause has its own named code and remedy',
  () => {
    const tmp = makeTempDir('vt-doctor-causes-');
    let rig: ProvisioningRig;
    let base: { configFile: string; site: string };
    let outsideAcl: { configFile: string };

    beforeAll(async () => {
      // Folders on the way must be enterable by the other user (mkdtemp makes 0700).
      chmodSync(tmp.dir, 0o755);
      // The broker's pattern ACL covers every enrolled terminal but NOT_IN_ACL, denied by name.
      rig = await startRig(tmp.dir, [{ storeId: 'S1', terminalId: 'D1' }]);
      const d1 = siteAnswers(rig, tmp.dir, { storeId: 'S1', terminalId: 'D1' });
      const r1 = await provision(d1.answers, { ui: answersUi(new PassThrough()) });
      expect(r1.readiness).toMatchObject({ ready: true });
      base = { configFile: d1.answers.configFile, site: d1.site };
      const x9 = siteAnswers(rig, tmp.dir, NOT_IN_ACL);
      const r9 = await provision(x9.answers, { ui: answersUi(new PassThrough()) });
      // "Ready" is not claimed for a terminal whose publishes the broker refuses.
      expect(r9.readiness).toMatchObject({ ready: false, cause: 'publish_refused' });
      outsideAcl = { configFile: x9.answers.configFile };
    }, 60_000);
    afterAll(async () => {
      await rig?.stop();
      tmp.cleanup();
    });

    /** A copy of the provisioned D1 site (data folder and config, paths rewritten), then `change`d. */
    let copies = 0;
    function variant(change: (site: { configFile: string; dataDir: string; config: SiteConfig }) => void) {
      const site = `${base.site}-copy${++copies}`;
      cpSync(base.site, site, { recursive: true });
      const configFile = join(site, 'etc', 'config.json');
      const config = JSON.parse(readFileSync(configFile, 'utf8').replaceAll(base.site, site)) as SiteConfig;
      change({ configFile, dataDir: config.dataDir, config });
      writeFileSync(configFile, JSON.stringify(config));
      return configFile;
    }

    const cases: Case[] = [
      {
        cause: 'permission_denied',
        check: 'data folder',
        remedy: /chown -R veriterm:veriterm .*chmod 700/,
        message: /nobody may not read .*owned by root:root, mode 0700/,
        setup: async () => ({ configFile: base.configFile, asNobody: true }),
      },
      {
        cause: 'permission_denied',
        check: 'config',
        remedy: /run veriterm doctor as veriterm or root/,
        message: /owned by root:root, mode 0600/,
        setup: async () => {
          const configFile = variant(() => undefined);
          chmodSync(configFile, 0o600);
          return { configFile, asNobody: true };
        },
      },
      {
        cause: 'key_missing',
        check: 'identity',
        remedy: /^re-run veriterm provision$/,
        setup: async () => ({
          configFile: variant(({ dataDir }) => rmSync(join(dataDir, 'identity'), { recursive: true })),
        }),
      },
      {
        cause: 'key_unusable',
        check: 'identity',
        remedy: /chmod 600 .*terminal-ed25519\.pem/,
        setup: async () => ({
          configFile: variant(({ dataDir }) =>
            chmodSync(join(dataDir, 'identity', 'terminal-ed25519.pem'), 0o644),
          ),
        }),
      },
      {
        cause: 'root_missing',
        check: 'registry root',
        remedy: /^re-run veriterm provision$/,
        setup: async () => ({ configFile: variant(({ dataDir }) => rmSync(join(dataDir, 'registry.db'))) }),
      },
      {
        cause: 'not_provisioned',
        check: 'data folder',
        remedy: /^re-run veriterm provision$/,
        setup: async () => ({ configFile: variant(({ dataDir }) => rmSync(dataDir, { recursive: true })) }),
      },
      {
        cause: 'scanner_missing',
        check: 'scanner 1',
        remedy: /plug the scanner in/,
        setup: async () => ({
          configFile: variant(({ config }) => {
            config.scanners[0]!.path = join(tmp.dir, 'unplugged-scanner');
          }),
        }),
      },
      {
        cause: 'printer_paper_out',
        check: 'printer 1',
        remedy: /load a paper roll/,
        // The printer also reports itself offline: paper out must win over "does not answer".
        message: /^the printer 127\.0\.0\.1:\d+ is out of paper/,
        setup: async () => {
          rig.printer.setState({ paperOut: true });
          return { configFile: base.configFile, undo: async () => rig.printer.setState({ paperOut: false }) };
        },
      },
      {
        cause: 'printer_cover_open',
        check: 'printer 1',
        remedy: /close the printer cover/,
        setup: async () => {
          rig.printer.setState({ coverOpen: true });
          return {
            configFile: base.configFile,
            undo: async () => rig.printer.setState({ coverOpen: false }),
          };
        },
      },
      {
        cause: 'printer_error',
        check: 'printer 1',
        remedy: /clear the cutter, let the head cool, or power-cycle/,
        message: /reports an error/,
        setup: async () => {
          rig.printer.setState({ error: true });
          return { configFile: base.configFile, undo: async () => rig.printer.setState({ error: false }) };
        },
      },
      {
        cause: 'printer_offline',
        check: 'printer 1',
        remedy: /check the printer power, cable or network address/,
        message: /does not answer/,
        setup: async () => {
          const port = await freePort();
          return {
            configFile: variant(({ config }) => {
              config.printers[0]!.port = port;
              config.printers[0]!.connectTimeoutMs = 300;
            }),
          };
        },
      },
      {
        cause: 'broker_unreachable',
        check: 'broker',
        remedy: /check the network and that the broker runs/,
        setup: async () => {
          const port = await freePort();
          return {
            configFile: variant(({ config }) => {
              config.sync.brokerUrl = `mqtts://127.0.0.1:${port}`;
            }),
          };
        },
      },
      {
        cause: 'broker_refused',
        check: 'broker',
        remedy: /new enrolment code/,
        setup: async () => ({
          configFile: variant(({ config }) => {
            const file = config.sync.credentialsFile;
            const creds = JSON.parse(readFileSync(file, 'utf8')) as { username: string };
            writeFileSync(file, JSON.stringify({ username: creds.username, password: 'revoked' }), {
              mode: 0o600,
            });
          }),
        }),
      },
      {
        cause: 'publish_refused',
        check: 'uplink',
        remedy: /broker ACL does not cover this terminal.*no need to re-enrol/,
        message: /PUBACK 0x87|SUBACK 0x87/,
        setup: async () => ({ configFile: outsideAcl.configFile }),
      },
      {
        cause: 'no_upstream_ack',
        check: 'uplink',
        remedy: /checks that `veriterm upstream` runs/,
        setup: async () => {
          await rig.stopUpstream();
          return { configFile: base.configFile, undo: () => rig.startUpstream() };
        },
      },
      {
        cause: 'no_registry',
        check: 'uplink',
        remedy: /publishes one/,
        message: /holds no registry for scope elsewhere/,
        setup: async () => ({
          configFile: variant(({ config }) => {
            config.sync.registry.scopes = ['elsewhere'];
          }),
        }),
      },
      {
        cause: 'clock_skew',
        check: 'clock',
        remedy: /timedatectl set-ntp true/,
        message: /is behind the registry build time/,
        setup: async () => ({ configFile: base.configFile, now: new Date(Date.now() - 2 * 86_400_000) }),
      },
      {
        cause: 'root_expired',
        check: 'registry root',
        remedy: /ask upstream for a rotated root/,
        setup: async () => ({
          configFile: base.configFile,
          now: new Date(Date.now() + 20 * 365 * 86_400_000),
        }),
      },
      {
        cause: 'clock_wrong',
        check: 'clock',
        remedy: /set the time/,
        setup: async () => ({ configFile: base.configFile, now: new Date('2001-01-01T00:00:00Z') }),
      },
      {
        cause: 'no_config',
        check: 'config',
        remedy: /run veriterm provision, or pass --config FILE/,
        setup: async () => ({ configFile: join(tmp.dir, 'nowhere', 'config.json') }),
      },
      {
        cause: 'bad_config',
        check: 'config',
        remedy: /^edit .*config\.json/,
        setup: async () => ({
          configFile: variant(({ config }) => {
            config.http = { port: 70_000 };
          }),
        }),
      },
    ];

    test('the provisioned terminal is all OK (no FAIL, uplink OK)', async () => {
      const checks = await runDoctor({ configFile: base.configFile, timeoutMs: 3000 });
      expect(checks.filter((c) => c.level === 'fail')).toEqual([]);
      expect(checks.find((c) => c.name === 'uplink')).toMatchObject({ level: 'ok' });
      expect(checks.find((c) => c.name === 'registry data')).toMatchObject({ level: 'ok' });
    }, 20_000);

    test.each(cases)(
      '$cause ($check)',
      async (c) => {
        if (!canSwitchUser() && c.cause === 'permission_denied') return;
        const run = await c.setup();
        try {
          const checks = run.asNobody
            ? await doctorAsNobody(run.configFile)
            : await runDoctor({
                configFile: run.configFile,
                timeoutMs: 3000,
                ...(run.now ? { now: run.now } : {}),
              });
          const hit = checks.find((k) => k.cause === c.cause);
          expect(hit, JSON.stringify(checks, null, 1)).toBeDefined();
          expect(hit!.name).toBe(c.check);
          expect(hit!.level).not.toBe('ok');
          expect(hit!.remedy).toMatch(c.remedy);
          if (c.message) expect(hit!.message).toMatch(c.message);
          // A permission problem is never reported as a missing file.
          if (c.cause === 'permission_denied')
            expect(checks.filter((k) => k.cause === 'key_missing' || k.cause === 'root_missing')).toEqual([]);
        } finally {
          await run.undo?.();
        }
      },
      30_000,
    );

    test('no registry yet: the remedy is the uplink cause\'s, not "start the terminal with upstream reachable"', async () => {
      const checks = await runDoctor({ configFile: outsideAcl.configFile, timeoutMs: 3000 });
      const registry = checks.find((c) => c.name === 'registry data');
      const uplink = checks.find((c) => c.name === 'uplink');
      expect(uplink?.cause).toBe('publish_refused');
      expect(registry).toMatchObject({ cause: 'no_registry', remedy: uplink!.remedy });
      expect(registry!.message).toContain('uplink: publish_refused');
    }, 20_000);
  },
);
