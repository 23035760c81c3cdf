import { statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../../upstream/embedded-broker.js';
import { type EmbeddedLogin, issueEmbeddedLogin } from '../../../upstream/embedded-broker-logins.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { until } from './harness.js';

/** Connects once (MQTT 3.1.1: aedes); resolves the client or rejects with the CONNACK error. */
function connectOnce(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

const as = (login: EmbeddedLogin, clientId = login.username): IClientOptions => ({
  username: login.username,
  password: login.password,
  clientId,
});

describe('embedded demo broker: logins and per-terminal topic rules', () => {
  const tmp = makeTempDir('vt-embedded-auth-');
  const loginsDir = join(tmp.dir, 'logins');
  let broker: EmbeddedBroker;
  let up: EmbeddedLogin;
  let a: EmbeddedLogin & { file: string };
  let b: EmbeddedLogin;
  beforeAll(async () => {
    up = issueEmbeddedLogin(loginsDir, { role: 'upstream' });
    a = issueEmbeddedLogin(loginsDir, { role: 'terminal', storeId: 'store-a', terminalId: 't1' });
    b = issueEmbeddedLogin(loginsDir, { role: 'terminal', storeId: 'store-b', terminalId: 't1' });
    broker = await startEmbeddedBroker({ loginsDir });
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it('binds 127.0.0.1 and keeps each login in a 0600 file that is reused on the next start', () => {
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    expect(statSync(loginsDir).mode & 0o077).toBe(0);
    const again = issueEmbeddedLogin(loginsDir, { role: 'terminal', storeId: 'store-a', terminalId: 't1' });
    expect(again.password).toBe(a.password);
    expect(a.password).not.toBe(b.password);
    expect(a.password.length).toBeGreaterThanOrEqual(43);
  });

  it('refuses anonymous clients, wrong passwords, unknown users and path-like usernames (CONNACK 5)', async () => {
    const refused = [
      { clientId: 'anon' },
      { username: a.username, password: 'wrong', clientId: a.username },
      { username: a.username, clientId: a.username },
      { username: 'nobody', password: a.password, clientId: 'nobody' },
      { username: '../logins/upstream', password: up.password, clientId: 'x' },
    ];
    for (const options of refused) {
      await expect(connectOnce(broker.url, options)).rejects.toMatchObject({ code: 5 });
    }
  });

  it('refuses a terminal login under another client id (no session takeover, CONNACK 2)', async () => {
    const victim = await connectOnce(broker.url, as(b));
    await expect(connectOnce(broker.url, as(a, b.username))).rejects.toMatchObject({ code: 2 });
    expect(victim.connected).toBe(true);
    await victim.endAsync();
  });

  it("a terminal login cannot read another terminal's records, nor publish acks for itself", async () => {
    const upstream = await connectOnce(broker.url, as(up, 'vt-upstream-test'));
    const ingested: string[] = [];
    upstream.on('message', (topic) => ingested.push(topic));
    await upstream.subscribeAsync(['vt/+/+/records'], { qos: 1 });

    const spy = await connectOnce(broker.url, as(a));
    const seen: string[] = [];
    spy.on('message', (topic) => seen.push(topic));
    // Each refused filter is negated in the SUBACK (0x80); its own downlink is granted.
    for (const filter of ['vt/store-b/t1/records', 'vt/#', 'vt/+/+/records', 'vt/store-b/t1/acks', '#']) {
      await expect(spy.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({
        packet: { granted: [128] },
      });
    }
    expect((await spy.subscribeAsync('vt/store-a/t1/acks', { qos: 1 }))[0]?.qos).toBe(1);

    const other = await connectOnce(broker.url, as(b));
    await other.publishAsync('vt/store-b/t1/records', 'batch of store b', { qos: 1 });
    await until(() => ingested.includes('vt/store-b/t1/records'), 'upstream got store b records');
    // A marker on the spy's own downlink, sent after store b's records: once it arrives, anything
    // the spy could have seen of store b would have arrived before it.
    await upstream.publishAsync('vt/store-a/t1/acks', '{"v":1,"ackSeq":0}', { qos: 1 });
    await until(() => seen.includes('vt/store-a/t1/acks'), 'own ack delivered');
    expect(seen).toEqual(['vt/store-a/t1/acks']);

    // Publishing a forged ack to itself (downlink) closes the offending connection; nobody gets it.
    const closed = new Promise<void>((resolve) => spy.once('close', () => resolve()));
    spy.publish('vt/store-a/t1/acks', '{"v":1,"ackSeq":1000000000}', { qos: 1 });
    await closed;
    spy.end(true);
    const probe = await connectOnce(broker.url, as(up, 'vt-upstream-probe'));
    const retained: string[] = [];
    probe.on('message', (_topic, payload) => retained.push(payload.toString()));
    await probe.subscribeAsync('vt/store-a/t1/acks', { qos: 1 });
    await probe.publishAsync('vt/store-a/t1/acks', 'marker', { qos: 1 });
    await until(() => retained.includes('marker'), 'marker delivered');
    expect(retained.some((p) => p.includes('1000000000'))).toBe(false);

    // Nor can it publish into another terminal's prefix or the registry.
    const spy2 = await connectOnce(broker.url, as(a));
    const closed2 = new Promise<void>((resolve) => spy2.once('close', () => resolve()));
    spy2.publish('vt/store-b/t1/records', 'forged', { qos: 1 });
    await closed2;
    spy2.end(true);
    expect(ingested.filter((t) => t === 'vt/store-b/t1/records')).toHaveLength(1);

    for (const c of [upstream, other, probe]) await c.endAsync();
  });
});
