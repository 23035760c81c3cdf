import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as veriterm } from '../../../cli/main.js';
import { requestRevocation } from '../../../provisioning/revoke-client.js';
import { configSchema } from '../../../terminal/config/index.js';
import { identityFromPrivateKey } from '../../../terminal/identity/index.js';
import { mosquittoAcl, terminalUsername } from '../../../upstream/broker-acl.js';
import { opensslCertificateIssuer } from '../../../upstream/enrolment-credentials.js';
import { type StartedUpstream, startUpstream } from '../../../upstream/start-upstream.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../../helpers/pki.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, memoryLogger, startTerminal, until } from '../sync/harness.js';

type Issued = { certFile: string; keyFile: string };

describe.skipIf(!hasSystemTool('mosquitto'))('pattern ACL and revocation on a spawned mosquitto', () => {
  const tmp = makeTempDir('vt-upstream-acl-');
  const aclFile = join(tmp.dir, 'acl');
  const pidFile = join(tmp.dir, 'mosquitto.pid');
  let pki: TestPki;
  let broker: MosquittoBroker;
  let up: StartedUpstream;
  const upLog = memoryLogger();

  /** A certificate issued now, by the production issuer (CN {store}/{terminal}), written to files. */
  async function enrolCertificate(storeId: string, terminalId: string): Promise<Issued> {
    const issued = await opensslCertificateIssuer({ caFile: pki.caFile, caKeyFile: pki.caKeyFile }).issue({
      storeId,
      terminalId,
    });
    const dir = join(tmp.dir, 'terminals', `${storeId}-${terminalId}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'client.crt'), issued.certPem!);
    writeFileSync(join(dir, 'client.key'), issued.keyPem!, { mode: 0o600 });
    return { certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') };
  }

  function connectWith(cert: Issued, clientId: string): Promise<MqttClient> {
    const options: IClientOptions = {
      ca: readFileSync(pki.caFile),
      cert: readFileSync(cert.certFile),
      key: readFileSync(cert.keyFile),
      protocolVersion: 5,
      reconnectPeriod: 0,
      clientId,
    };
    return mqtt.connectAsync(broker.url, options);
  }

  /** A drained terminal with a certificate issued after the broker started and its key enrolled upstream. */
  async function drainedTerminal(terminalId: string, records: number) {
    const cert = await enrolCertificate('s1', terminalId);
    const keys = generateKeyPairSync('ed25519');
    const identity = identityFromPrivateKey(keys.privateKey);
    up.upstream.store.enrol('s1', terminalId, identity.publicKeyPem);
    const sync = {
      brokerUrl: broker.url,
      storeId: 's1',
      terminalId,
      protocol: '5' as const,
      tls: { caFile: pki.caFile, ...cert },
    };
    const t = startTerminal(join(tmp.dir, terminalId), sync, { keys });
    appendMany(t.ledger, records);
    await t.sync.start();
    await until(() => t.ledger.stats().pending === 0, `${terminalId}'s records acknowledged`);
    return { t, cert, identity, sync };
  }

  beforeAll(async () => {
    pki = createTestPki(join(tmp.dir, 'pki'));
    broker = await startMosquitto({
      dir: tmp.dir,
      tls: { caFile: pki.caFile, ...pki.server, requireCertificate: true },
      usernameAsClientId: true,
      acl: mosquittoAcl({ scopes: ['cn'] }),
      extra: [`pid_file ${pidFile}`],
    });
    const dataDir = join(tmp.dir, 'up');
    mkdirSync(dataDir, { recursive: true });
    // No registry root: the enrolment service stays off; `revocation` alone tells upstream the broker files.
    writeFileSync(
      join(dataDir, 'enrolment.json'),
      JSON.stringify({
        issuer: { type: 'certificate', caFile: pki.caFile, caKeyFile: pki.caKeyFile },
        revocation: { aclFile, pidFile },
      }),
    );
    up = await startUpstream({
      dataDir,
      logger: upLog.logger,
      options: {
        brokerUrl: broker.url,
        protocol: '5',
        tls: { caFile: pki.caFile, ...pki.client('upstream') },
      },
    });
    await until(() => up.upstream.connected(), 'upstream connected');
  }, 60_000);
  afterAll(async () => {
    await up?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('the ACL names no terminal, and a terminal enrolled after the broker started publishes and gets acked', async () => {
    expect(readFileSync(aclFile, 'utf8')).not.toMatch(/s1|vt-/);
    const { t } = await drainedTerminal('t9', 40);
    expect(up.upstream.store.sequences('s1', 't9')).toHaveLength(40);
    await t.sync.stop();
  }, 60_000);

  it("a terminal cannot publish into another terminal's topics (PUBACK 0x87) whatever client id it claims", async () => {
    const cert = await enrolCertificate('s1', 't7');
    const client = await connectWith(cert, 'vt-s1-t8');
    try {
      await client.publishAsync('vt/s1/t7/status', 'own topic', { qos: 1 });
      for (const topic of ['vt/s1/t8/records', 'vt/s2/t7/records', 'vt/s1/t7/acks', 'vt/s1/t8/revoke/req']) {
        await expect(client.publishAsync(topic, 'forged', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
      }
    } finally {
      await client.endAsync();
    }
    expect(up.upstream.store.alerts().filter((a) => a.terminalId === 't8')).toEqual([]);
  }, 30_000);

  it('admin revocation (veriterm upstream revoke): upstream refuses the next record with a revoked_terminal alert', async () => {
    const { t } = await drainedTerminal('t2', 5);
    // Upstream's side alone first (the broker still lets t2 publish), so records reach upstream and are refused.
    up.upstream.store.revoke('s1', 't2');
    appendMany(t.ledger, 3);
    await until(
      () => up.upstream.store.alerts().find((a) => a.terminalId === 't2' && a.kind === 'revoked_terminal'),
      'revoked_terminal alert',
    );
    expect(up.upstream.store.sequences('s1', 't2')).toHaveLength(5);
    expect(t.ledger.stats().pending).toBe(3);
    // The admin command then makes the broker refuse t2's certificate (ACL deny + SIGHUP).
    let out = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } };
    const code = await veriterm(
      ['upstream', 'revoke', '--data', join(tmp.dir, 'up'), '--store', 's1', '--terminal', 't2'],
      io as never,
    );
    expect(code).toBe(0);
    expect(out).toMatch(/revoked store s1 terminal t2 at .*; broker: applied/);
    expect(readFileSync(aclFile, 'utf8')).toContain(`user ${terminalUsername('s1', 't2')}\ntopic deny #`);
    await t.sync.stop();
  }, 60_000);

  it('terminal-initiated revocation: signed with the terminal key, answered by upstream; its certificate can no longer publish', async () => {
    const { t, cert, identity, sync } = await drainedTerminal('t3', 5);
    await t.sync.stop();
    const config = configSchema.parse({
      terminal: { storeId: 's1', terminalId: 't3' },
      dataDir: t.dir,
      sync,
    });
    // Another key cannot revoke t3.
    const impostor = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    const forged = await requestRevocation({ config, identity: impostor, timeoutMs: 10_000 });
    expect(forged).toEqual({ revoked: false, reason: expect.stringContaining('bad_signature') });
    expect(up.upstream.store.enrolment('s1', 't3')?.revokedAt).toBeNull();

    const outcome = await requestRevocation({ config, identity, timeoutMs: 10_000 });
    expect(outcome).toEqual({ revoked: true });
    expect(up.upstream.store.enrolment('s1', 't3')?.revokedAt).toEqual(expect.any(String));
    // mosquitto re-reads the ACL on SIGHUP and applies it to the connections it holds.
    const client = await connectWith(cert, 'vt-s1-t3');
    try {
      await until(
        () =>
          client.publishAsync('vt/s1/t3/records', 'after revocation', { qos: 1 }).then(
            () => false,
            (error: { code?: number }) => error.code === 0x87,
          ),
        'the broker refuses the revoked certificate',
      );
      await expect(client.publishAsync('vt/s1/t3/status', 'online', { qos: 1 })).rejects.toMatchObject({
        code: 0x87,
      });
    } finally {
      await client.endAsync();
    }
    // Another terminal is untouched.
    const other = await connectWith(await enrolCertificate('s1', 't4'), 'x');
    await other.publishAsync('vt/s1/t4/status', 'online', { qos: 1 });
    await other.endAsync();
  }, 60_000);
});
