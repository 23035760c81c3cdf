import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answersSchema } from '../../../provisioning/answers.js';
import type { DetectOptions } from '../../../provisioning/devices.js';
import { provision } from '../../../provisioning/provision.js';
import { issueEnrolment } from '../../../upstream/enrolment-issue.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { ENROL_USER, type ProvisioningRig, SCOPE, startRig } from './fixture.js';
import { scriptedUi } from './scripted-ui.js';

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('socat'))(
  'the provisioning wizard, through its UI (provisioning/ui.ts)',
  () => {
    const tmp = makeTempDir('vt-wizard-');
    let rig: ProvisioningRig;

    beforeAll(async () => {
      rig = await startRig(tmp.dir, [{ storeId: 'S3', terminalId: 'W1' }]);
    }, 30_000);
    afterAll(async () => {
      await rig?.stop();
      tmp.cleanup();
    });

    test('asks the enrolment account (again when refused, keeping every other answer), port, locale, profile, and whether the slip came out right', async () => {
      const issued = issueEnrolment({
        dbFile: rig.upstreamDb,
        rootFile: rig.rootFile,
        storeId: 'S3',
        terminalId: 'W1',
        scope: SCOPE,
      });
      const site = join(tmp.dir, 'site-W1');
      const answers = answersSchema.parse({
        configFile: join(site, 'etc', 'config.json'),
        dataDir: join(site, 'var', 'veriterm'),
        systemRoot: join(site, 'sysroot'),
        install: 'print',
        brokerUrl: rig.url,
        brokerCaFile: rig.pki.caFile,
        enrolmentCode: issued.code,
        rootFingerprint: issued.fingerprint,
        enrolTimeoutMs: 5000,
        readinessTimeoutMs: 3000,
      });
      const detect: DetectOptions = {
        serialDirs: [],
        printerHosts: [{ host: '127.0.0.1', port: rig.printer.port }],
        discover: async () => ({ serial: [], hid: [], usbPrinters: [], notes: [] }),
      };
      const ui = scriptedUi({
        storeId: ['S3'],
        terminalId: ['W1'],
        role: ['kiosk'],
        httpPort: ['8181'],
        locale: ['en'],
        scanner: ['no scanner'],
        printer: [`network printer 127.0.0.1:${rig.printer.port}`, 'generic', 'pos-58'],
        // The first slip is garbled: another profile, then it is right.
        testPrintOk: [false, 'profile', true],
        enrolUsername: [ENROL_USER.username, ENROL_USER.username],
        enrolPassword: ['mistyped', ENROL_USER.password],
      });
      const before = rig.printer.receipts.length;
      const result = await provision(answers, { ui, detect });

      expect(ui.asked.map((q) => q.key)).toEqual([
        'storeId',
        'terminalId',
        'role',
        'httpPort',
        'locale',
        'scanner',
        'printer',
        'printer', // profile
        'testPrintOk',
        'testPrintOk', // what next
        'printer', // another profile
        'testPrintOk',
        'enrolUsername',
        'enrolPassword',
        // Refused by the broker: only the account is asked again.
        'enrolUsername',
        'enrolPassword',
      ]);
      expect(ui.asked.find((q) => q.key === 'enrolPassword')?.secret).toBe(true);
      expect(ui.said.join('\n')).toMatch(/WARN the broker at .* refused the login/);
      expect(result.readiness.ready).toBe(true);

      const config = JSON.parse(readFileSync(answers.configFile, 'utf8')) as {
        http: { port: number };
        kiosk: { defaultLocale: string };
        printers: { profile: string }[];
      };
      expect(config.http.port).toBe(8181);
      expect(config.kiosk.defaultLocale).toBe('en');
      expect(config.printers[0]!.profile).toBe('pos-58');
      // Two test slips (generic, then pos-58) and the summary slip, which carries the kiosk URL.
      const receipts = rig.printer.receipts.slice(before);
      expect(receipts).toHaveLength(3);
      expect(receipts[2]!.lines.join('\n')).toMatch(/Kiosk URL\s+http:\/\/[\d.a-z]+:8181\//);
      expect(result.summary.join('\n')).toMatch(/Kiosk URL {2}http:\/\/\S+:8181\//);
    }, 45_000);
  },
);
