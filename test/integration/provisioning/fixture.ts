import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FakeNetworkPrinter } from '../../../drivers/printer/index.js';
import { type Answers, type AnswersInput, answersSchema } from '../../../provisioning/answers.js';
import { silentLogger } from '../../../terminal/logger.js';
import { createDemoRegistry, type DemoRegistry } from '../../../terminal/registry/index.js';
import { mosquittoAcl, withRevokedBlock } from '../../../upstream/broker-acl.js';

/** A terminal the rig's broker ACL denies by name (every other enrolled terminal is covered). */
export const NOT_IN_ACL = { storeId: 'S1', terminalId: 'NOT-IN-ACL' };

import type { Upstream } from '../../../upstream/create-upstream.js';
import { mosquittoPasswordLine } from '../../../upstream/enrolment-credentials.js';
import { issueEnrolment } from '../../../upstream/enrolment-issue.js';
import { type StartedUpstream, startUpstream } from '../../../upstream/start-upstream.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../../helpers/pki.js';
import { PtyScanner } from '../scanner/pty-pair.js';

export const ENROL_USER = { username: 'enrol', password: 'enrol-public' };
const UPSTREAM_USER = { username: 'upstream', password: 'upstream-secret-for-tests' };
export const SCOPE = 'cn-east';

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ProvisioningRig {
  dir: string;
  pki: TestPki;
  broker: MosquittoBroker;
  /** mqtts:// URL of the broker. */
  url: string;
  rootFile: string;
  /** The registry upstream publishes (demo codes with their expected verdicts). */
  demo: DemoRegistry;
  upstreamDb: string;
  upstream: () => Upstream;
  stopUpstream(): Promise<void>;
  startUpstream(): Promise<void>;
  printer: FakeNetworkPrinter;
  scanner: PtyScanner;
  stop(): Promise<void>;
}

/**
 * The upstream side of a store for provisioning tests: mosquitto with a TLS listener, a
 * password file and an ACL (enrolment account confined to vt/enrol/{clientId}/…), the
 * enrolment service issuing password credentials (reloading mosquitto with SIGHUP), a signed
 * registry root, a PTY scanner and a loopback printer. The reference upstream (startUpstream) runs
 * the enrolment service itself, configured by `enrolment.json` in its data directory.
 */
export async function startRig(
  dir: string,
  _terminals: { storeId: string; terminalId: string }[],
): Promise<ProvisioningRig> {
  const pki = createTestPki(join(dir, 'pki'));
  const passwordFile = join(dir, 'passwd');
  writeFileSync(
    passwordFile,
    `${mosquittoPasswordLine(ENROL_USER.username, ENROL_USER.password)}\n${mosquittoPasswordLine(UPSTREAM_USER.username, UPSTREAM_USER.password)}\n`,
    { mode: 0o600 },
  );
  // The pattern ACL covers every enrolled terminal; NOT_IN_ACL is denied by name (as a revoked
  // terminal is), so a test can provision one the broker refuses.
  const acl = withRevokedBlock(
    [
      'pattern write vt/enrol/%c/req',
      'pattern read vt/enrol/%c/res',
      '',
      mosquittoAcl({ scopes: [SCOPE], upstreamUsername: UPSTREAM_USER.username }),
    ].join('\n'),
    [NOT_IN_ACL],
  );
  const pidFile = join(dir, 'mosquitto.pid');
  const broker = await startMosquitto({
    dir,
    tls: {
      caFile: pki.caFile,
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      requireCertificate: false,
    },
    allowAnonymous: false,
    acl,
    persistence: false,
    extra: [`password_file ${passwordFile}`, `pid_file ${pidFile}`],
  });
  // The reference upstream's data directory: the signed demo registry as its first release,
  // its root and release key (registry-keys/), and enrolment settings (which turn enrolment on).
  const upstreamDir = join(dir, 'upstream');
  const demo = await createDemoRegistry(join(dir, 'authoring'), { scope: SCOPE });
  mkdirSync(join(upstreamDir, 'registry-keys'), { recursive: true });
  const rootFile = join(upstreamDir, 'registry-keys', 'root.json');
  writeFileSync(rootFile, JSON.stringify(demo.root));
  copyFileSync(join(demo.dir, 'release.key'), join(upstreamDir, 'registry-keys', 'release.key'));
  const snapshot = join(upstreamDir, 'registry', SCOPE, 'snapshot-1');
  mkdirSync(snapshot, { recursive: true });
  for (const f of [demo.manifestFile, demo.manifestFile.replace('.manifest.json', '.body.z')]) {
    copyFileSync(f, join(snapshot, basename(f)));
  }
  writeFileSync(
    join(upstreamDir, 'enrolment.json'),
    JSON.stringify({ issuer: { type: 'mosquitto-password', passwordFile, pidFile, caFile: pki.caFile } }),
  );
  const upstreamDb = join(upstreamDir, 'upstream.db');
  const launch = () =>
    startUpstream({
      dataDir: upstreamDir,
      logger: silentLogger(),
      options: {
        brokerUrl: broker.url,
        ...UPSTREAM_USER,
        tls: { caFile: pki.caFile },
        clientId: `vt-upstream-test-${process.pid}`,
      },
    });
  let upstream: StartedUpstream | undefined = await launch();
  await waitUntil(() => upstream!.upstream.connected());
  const printer = new FakeNetworkPrinter();
  await printer.start();
  const scanner = await PtyScanner.create(join(dir, 'dev'));
  return {
    dir,
    pki,
    broker,
    url: broker.url,
    rootFile,
    demo,
    upstreamDb,
    upstream: () => upstream!.upstream,
    async stopUpstream() {
      await upstream?.stop();
      upstream = undefined;
    },
    async startUpstream() {
      upstream = await launch();
      await waitUntil(() => upstream!.upstream.connected());
    },
    printer,
    scanner,
    async stop() {
      await scanner.dispose();
      await printer.stop();
      await upstream?.stop();
      await broker.stop();
    },
  };
}

/**
 * Non-interactive answers for terminal `terminalId` in its own site folder under `dir`, with a fresh
 * one-time code issued by the rig's upstream, the rig's PTY scanner and loopback printer.
 */
export function siteAnswers(
  rig: ProvisioningRig,
  dir: string,
  ids: { storeId: string; terminalId: string },
  extra: Partial<AnswersInput> = {},
): { answers: Answers; issued: ReturnType<typeof issueEnrolment>; site: string } {
  const site = join(dir, `site-${ids.storeId}-${ids.terminalId}-${Math.random().toString(36).slice(2, 8)}`);
  const issued = issueEnrolment({ dbFile: rig.upstreamDb, rootFile: rig.rootFile, ...ids, scope: SCOPE });
  const answers = answersSchema.parse({
    configFile: join(site, 'etc', 'config.json'),
    dataDir: join(site, 'var', 'veriterm'),
    scanner: { type: 'serial', path: rig.scanner.stablePath, debounceMs: 0 },
    printer: { transport: 'network', host: '127.0.0.1', port: rig.printer.port, profile: 'xprinter-80' },
    ...ids,
    role: 'kiosk',
    brokerUrl: rig.url,
    brokerCaFile: rig.pki.caFile,
    enrolUsername: ENROL_USER.username,
    enrolPassword: ENROL_USER.password,
    enrolmentCode: issued.code,
    rootFingerprint: issued.fingerprint,
    enrolTimeoutMs: 5000,
    readinessTimeoutMs: 3000,
    registryTimeoutMs: 15_000,
    skipTestScan: true,
    skipTestPrint: true,
    install: 'print',
    systemRoot: join(site, 'sysroot'),
    ...extra,
  });
  return { answers, issued, site };
}

/**
 * Whether this process may run commands as another user (uid 65534), as the tests of permission
 * faults need. Not root: said loudly, and a failure under CI=true (no silent skip).
 */
export function canSwitchUser(): boolean {
  if (process.getuid?.() === 0) return true;
  const message = 'NOT ROOT: tests running veriterm as uid 65534 need root; SKIPPED';
  if (process.env.CI === 'true') throw new Error(`${message} (a failure under CI=true)`);
  console.warn(`\n!!! ${message}\n`);
  return false;
}
