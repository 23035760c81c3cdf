import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAcl, mosquittoTerminalListener, terminalUsername } from '../../../upstream/broker-acl.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { type CertFiles, createTestPki, type TestPki } from '../../helpers/pki.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, startUpstreamFor, terminalKeys, until } from './harness.js';

function tlsOptions(pki: TestPki, cert?: CertFiles, ca = pki.caFile): IClientOptions {
  return {
    ca: readFileSync(ca),
    ...(cert ? { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) } : {}),
    rejectUnauthorized: true,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  };
}

/** Connects once; resolves the client or rejects with the reason the connection failed. */
function connectOnce(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, options);
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

describe.skipIf(!hasSystemTool('mosquitto'))('mTLS with per-terminal certificates and the broker ACL', () => {
  const tmp = makeTempDir('vt-sync-mtls-');
  let pki: TestPki;
  let broker: MosquittoBroker;
  let certA: CertFiles;
  let certA2: CertFiles;
  let certUp: CertFiles;
  // Pattern lines only: no terminal is listed, each is confined by its certificate's CN.
  const acl = () => mosquittoAcl({ scopes: ['cn'] });
  beforeAll(async () => {
    pki = createTestPki(join(tmp.dir, 'pki'));
    certA = pki.client(terminalUsername('store-a', 't1'));
    certA2 = pki.client(terminalUsername('store-a', 't2'));
    certUp = pki.client('upstream');
    // The production listener settings (mosquittoTerminalListener): CN as username and as client id.
    broker = await startMosquitto({
      dir: tmp.dir,
      tls: { caFile: pki.caFile, ...pki.server, requireCertificate: true },
      usernameAsClientId: true,
      acl: acl(),
    });
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it('a terminal with its own certificate drains to an upstream with its own certificate', async () => {
    const keys = terminalKeys();
    const t = startTerminal(
      join(tmp.dir, 't1'),
      {
        brokerUrl: broker.url,
        storeId: 'store-a',
        terminalId: 't1',
        tls: { caFile: pki.caFile, ...certA },
        protocol: '5',
        registry: { scopes: ['cn'] },
      },
      { keys },
    );
    const up = startUpstreamFor(join(tmp.dir, 'up'), {
      brokerUrl: broker.url,
      tls: { caFile: pki.caFile, ...certUp },
      protocol: '5',
    });
    up.upstream.store.enrol('store-a', 't1', publicKeyPem(keys.publicKey));
    appendMany(t.ledger, 50);
    await up.upstream.start();
    await t.sync.start();
    await until(() => t.ledger.stats().pending === 0, 'records acknowledged over mTLS');
    expect(up.upstream.store.sequences('store-a', 't1')).toHaveLength(50);
    expect(t.logLines().some((l) => String(l.msg).includes('refused subscriptions'))).toBe(false);
    await t.sync.stop();
    await up.upstream.stop();
  });

  it('refuses publishing and subscribing outside the terminal prefix with reason code 0x87', async () => {
    const client = await connectOnce(broker.url, { ...tlsOptions(pki, certA), clientId: 'acl-probe' });
    try {
      // Own uplink topic: allowed.
      await client.publishAsync('vt/store-a/t1/status', 'x', { qos: 1 });
      // Another terminal's records, registry announcements, and its own acks (downlink only): denied.
      for (const topic of ['vt/store-b/t1/records', 'vt/registry/cn/manifest', 'vt/store-a/t1/acks']) {
        await expect(client.publishAsync(topic, 'forged', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
      }
      // mosquitto 2.0 grants a SUBACK for wildcard filters and applies `read` per message:
      // whatever upstream publishes, the probe receives only its own downlink.
      const received: string[] = [];
      client.on('message', (topic) => received.push(topic));
      await client.subscribeAsync(['vt/store-b/t1/cmd', 'vt/#', 'vt/store-a/t1/cmd'], { qos: 1 });
      const up = await connectOnce(broker.url, { ...tlsOptions(pki, certUp), clientId: 'acl-upstream' });
      for (const topic of ['vt/store-b/t1/cmd', 'vt/store-b/t1/acks', 'vt/store-a/t1/cmd']) {
        await up.publishAsync(topic, 'hello', { qos: 1 });
      }
      await until(() => received.includes('vt/store-a/t1/cmd'), 'own command delivered');
      await up.publishAsync('vt/store-a/t1/cmd', 'marker', { qos: 1 });
      await until(() => received.filter((t) => t === 'vt/store-a/t1/cmd').length >= 4, 'marker delivered');
      // Only its own downlink (the retained ack from the first test, and its commands).
      expect([...new Set(received)].sort()).toEqual(['vt/store-a/t1/acks', 'vt/store-a/t1/cmd']);
      await up.endAsync();
    } finally {
      await client.endAsync();
    }
  });

  it("binds the client id to the certificate: t1's certificate claiming t2's client id does not disconnect t2", async () => {
    const t2 = await connectOnce(broker.url, { ...tlsOptions(pki, certA2), clientId: 'vt-store-a-t2' });
    let t2Dropped = false;
    t2.on('close', () => {
      t2Dropped = true;
    });
    const intruder = await connectOnce(broker.url, { ...tlsOptions(pki, certA), clientId: 'vt-store-a-t2' });
    try {
      // A round trip on each connection after the intruder's CONNACK: a takeover would have
      // closed t2 before its PUBACK could come back (MQTT 5 §3.1.4-3: the old session is dropped first).
      await intruder.publishAsync('vt/store-a/t1/status', 'intruder is t1 here', { qos: 1 });
      await t2.publishAsync('vt/store-a/t2/status', 'still here', { qos: 1 });
      expect(t2Dropped).toBe(false);
      expect(t2.connected).toBe(true);
      // And t1's certificate still cannot publish into t2's topics under any claimed client id.
      await expect(
        intruder.publishAsync('vt/store-a/t2/records', 'forged', { qos: 1 }),
      ).rejects.toMatchObject({ code: 0x87 });
    } finally {
      await intruder.endAsync();
      await t2.endAsync();
    }
  });

  it('control: without use_username_as_clientid the same attempt does take t2 over (the setting is what stops it)', async () => {
    const looseDir = join(tmp.dir, 'loose');
    mkdirSync(looseDir, { recursive: true });
    const loose = await startMosquitto({
      dir: looseDir,
      tls: { caFile: pki.caFile, ...pki.server, requireCertificate: true },
      usernameAsClientId: false,
      acl: acl(),
    });
    try {
      const t2 = await connectOnce(loose.url, { ...tlsOptions(pki, certA2), clientId: 'vt-store-a-t2' });
      const dropped = new Promise<void>((resolve) => t2.once('close', () => resolve()));
      const intruder = await connectOnce(loose.url, { ...tlsOptions(pki, certA), clientId: 'vt-store-a-t2' });
      await dropped;
      t2.end(true);
      await intruder.endAsync();
    } finally {
      await loose.stop();
    }
  });

  it("keeps a terminal's persistent session under its certificate identity, whatever client id it sends", async () => {
    const options = { ...tlsOptions(pki, certA), clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await connectOnce(broker.url, { ...options, clientId: 'vt-store-a-t1' });
    await first.subscribeAsync('vt/store-a/t1/cmd', { qos: 1 });
    await first.endAsync();
    const up = await connectOnce(broker.url, { ...tlsOptions(pki, certUp), clientId: 'acl-upstream' });
    await up.publishAsync('vt/store-a/t1/cmd', 'queued while offline', { qos: 1 });
    await up.endAsync();
    const received: string[] = [];
    const again = mqtt.connect(broker.url, { ...options, clientId: 'some-other-id' });
    again.on('message', (_topic, payload) => received.push(payload.toString()));
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      again.once('connect', resolve);
      again.once('error', reject);
    });
    expect(connack.sessionPresent).toBe(true);
    await until(
      () => received.includes('queued while offline'),
      'queued command delivered to the resumed session',
    );
    await again.endAsync();
  });

  it('generates those listener settings for production configs', () => {
    const lines = mosquittoTerminalListener({ port: 8883, caFile: '/ca', certFile: '/crt', keyFile: '/key' });
    expect(lines).toEqual(
      expect.arrayContaining([
        'listener 8883',
        'require_certificate true',
        'use_identity_as_username true',
        'use_username_as_clientid true',
      ]),
    );
    expect(acl()).toContain('pattern write vt/%u/ledger/req');
    expect(acl()).toContain('pattern read vt/%u/ledger/res');
    expect(acl()).not.toContain('store-a');
  });

  it('refuses a certificate from a rogue CA and a connection without a certificate', async () => {
    const rogue = createTestPki(join(tmp.dir, 'rogue'), 'rogue-ca');
    const rogueCert = rogue.client(terminalUsername('store-a', 't1'));
    await expect(
      connectOnce(broker.url, { ...tlsOptions(pki, rogueCert), clientId: 'rogue' }),
    ).rejects.toThrow();
    await expect(connectOnce(broker.url, { ...tlsOptions(pki), clientId: 'no-cert' })).rejects.toThrow();
    // The terminal pins our CA: a broker certificate from another CA is refused too.
    await expect(
      connectOnce(broker.url, { ...tlsOptions(pki, certA, rogue.caFile), clientId: 'pinned' }),
    ).rejects.toThrow(/certificate/i);
  });
});
