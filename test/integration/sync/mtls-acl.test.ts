import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAcl, terminalUsername } from '../../../upstream/broker-acl.js';
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
  let certUp: CertFiles;
  beforeAll(async () => {
    pki = createTestPki(join(tmp.dir, 'pki'));
    certA = pki.client(terminalUsername('store-a', 't1'));
    certUp = pki.client('upstream');
    broker = await startMosquitto({
      dir: tmp.dir,
      tls: { caFile: pki.caFile, ...pki.server, requireCertificate: true },
      acl: mosquittoAcl({
        terminals: [
          { storeId: 'store-a', terminalId: 't1' },
          { storeId: 'store-b', terminalId: 't1' },
        ],
        scopes: ['cn'],
      }),
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
