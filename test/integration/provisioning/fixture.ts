import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeNetworkPrinter } from '../../../drivers/printer/index.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { silentLogger } from '../../../terminal/logger.js';
import { createRoot, generateSigningKey } from '../../../terminal/registry/index.js';
import { mosquittoAcl } from '../../../upstream/broker-acl.js';
import { mosquittoPasswordIssuer, mosquittoPasswordLine } from '../../../upstream/enrolment-credentials.js';
import { EnrolmentService } from '../../../upstream/enrolment-service.js';
import { EnrolmentStore } from '../../../upstream/enrolment-store.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../../helpers/pki.js';
import { PtyScanner } from '../scanner/pty-pair.js';

export const ENROL_USER = { username: 'enrol', password: 'enrol-public' };
const UPSTREAM_USER = { username: 'upstream', password: 'upstream-secret-for-tests' };
export const SCOPE = 'cn-east';
const reloads = (log: string) => log.split('Reloading config.').length;

export interface ProvisioningRig {
  dir: string;
  pki: TestPki;
  broker: MosquittoBroker;
  /** mqtts:// URL of the broker. */
  url: string;
  rootFile: string;
  upstreamDb: string;
  service: EnrolmentService;
  printer: FakeNetworkPrinter;
  scanner: PtyScanner;
  stop(): Promise<void>;
}

/**
 * The upstream side of a store for provisioning tests: mosquitto with a TLS listener, a
 * password file and an ACL (enrolment account confined to vt/enrol/{clientId}/…), the
 * enrolment service issuing password credentials (reloading mosquitto with SIGHUP), a signed
 * registry root, a PTY scanner and a loopback printer.
 */
export async function startRig(
  dir: string,
  terminals: { storeId: string; terminalId: string }[],
): Promise<ProvisioningRig> {
  const pki = createTestPki(join(dir, 'pki'));
  const passwordFile = join(dir, 'passwd');
  writeFileSync(
    passwordFile,
    `${mosquittoPasswordLine(ENROL_USER.username, ENROL_USER.password)}\n${mosquittoPasswordLine(UPSTREAM_USER.username, UPSTREAM_USER.password)}\n`,
    { mode: 0o600 },
  );
  const acl = [
    'pattern write vt/enrol/%c/req',
    'pattern read vt/enrol/%c/res',
    '',
    mosquittoAcl({ terminals, scopes: [SCOPE], upstreamUsername: UPSTREAM_USER.username }),
  ].join('\n');
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
  const rootKey = generateSigningKey();
  const releaseKey = generateSigningKey();
  const root = createRoot({ rootKeys: [rootKey], releaseKeys: [releaseKey] }, [rootKey]);
  const rootFile = join(dir, 'root.json');
  writeFileSync(rootFile, JSON.stringify(root));
  const upstreamDb = join(dir, 'upstream.db');
  const db = openDatabase(upstreamDb);
  const service = new EnrolmentService(
    {
      store: new EnrolmentStore(db),
      issuer: mosquittoPasswordIssuer({
        passwordFile,
        caPem: readFileSync(pki.caFile, 'utf8'),
        // mosquitto re-reads password and ACL files on SIGHUP and logs "Reloading config.";
        // waiting for that line means the grant never reaches a terminal before the broker knows it.
        reload: async () => {
          const before = reloads(broker.log());
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGHUP');
          const deadline = Date.now() + 5000;
          while (reloads(broker.log()) === before && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 10));
        },
      }),
      rootFor: () => root,
      logger: silentLogger(),
    },
    { brokerUrl: broker.url, ...UPSTREAM_USER, mqtt: { ca: readFileSync(pki.caFile) }, shareGroup: '' },
  );
  await service.start();
  const printer = new FakeNetworkPrinter();
  await printer.start();
  const scanner = await PtyScanner.create(join(dir, 'dev'));
  return {
    dir,
    pki,
    broker,
    url: broker.url,
    rootFile,
    upstreamDb,
    service,
    printer,
    scanner,
    async stop() {
      await scanner.dispose();
      await printer.stop();
      await service.stop();
      db.close();
      await broker.stop();
    },
  };
}
