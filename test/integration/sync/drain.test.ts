import { execFile } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { silentLogger } from '../../../terminal/logger.js';
import { MqttLink } from '../../../terminal/sync/link.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, startUpstreamFor, terminalKeys, until } from './harness.js';

/** One retained message on `topic` as mosquitto_sub sees it (-C 1: exit after one). */
function subOnce(port: number, topic: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', '1', '-W', '10', '-V', 'mqttv5'],
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
    );
  });
}

describe.skipIf(!hasSystemTool('mosquitto'))('outbox drain against a real mosquitto', () => {
  const tmp = makeTempDir('vt-sync-drain-');
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it('drains 10,000 records queued while offline, once each and in order; status retained, will "offline"', async () => {
    const keys = terminalKeys();
    const t = startTerminal(
      join(tmp.dir, 't1'),
      { brokerUrl: broker.url, storeId: 'store-a', terminalId: 't1', drain: { pollIntervalMs: 100 } },
      { keys },
    );
    appendMany(t.ledger, 10_000, (i) => ({ i, note: 'queued offline' }));
    expect(t.ledger.stats().pending).toBe(10_000);

    const up = startUpstreamFor(join(tmp.dir, 'up'), { brokerUrl: broker.url, deltaDebounceMs: 10 });
    up.upstream.store.enrol('store-a', 't1', publicKeyPem(keys.publicKey));
    await up.upstream.start();
    await t.sync.start();

    await until(() => t.ledger.stats().pending === 0, 'all 10,000 acknowledged', 60_000);
    const seqs = up.upstream.store.sequences('store-a', 't1');
    expect(seqs.length).toBe(10_000);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    expect(up.upstream.store.alerts()).toEqual([]);
    expect(t.sync.status().lastAckedSeq).toBe(10_000);
    expect(t.health.get('upstream')?.level).toBe('ok');

    const online = JSON.parse(await subOnce(broker.port, 'vt/store-a/t1/status')) as Record<string, unknown>;
    expect(online).toMatchObject({ state: 'online', storeId: 'store-a', terminalId: 't1' });

    // A graceful stop sends DISCONNECT with reason 0x04: the broker still publishes the retained will.
    await t.sync.stop();
    await until(
      async () => JSON.parse(await subOnce(broker.port, 'vt/store-a/t1/status')).state === 'offline',
      'retained will',
    );
    await up.upstream.stop();
  });
  it("holds batch publishes to the broker's Receive Maximum less 4, and still drains everything", async () => {
    // mosquitto advertises max_inflight_messages as its MQTT 5 Receive Maximum.
    const tight = await startMosquitto({ dir: tmp.dir, extra: ['max_inflight_messages 6'] });
    try {
      const window = async (protocol: '5' | '3.1.1') => {
        const link = new MqttLink(
          {
            url: tight.url,
            clientId: `rm-${protocol}`,
            protocol,
            sessionExpirySeconds: 0,
            keepaliveSeconds: 30,
            reconnect: { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0, connectTimeoutMs: 5000 },
            subscriptions: [],
          },
          silentLogger(),
        );
        const connected = new Promise((resolve) => link.once('connect', resolve));
        link.start();
        await connected;
        const w = link.publishWindow();
        await link.stop();
        return w;
      };
      expect(await window('5')).toBe(2);
      expect(await window('3.1.1')).toBe(Number.POSITIVE_INFINITY);

      const keys = terminalKeys();
      const t = startTerminal(
        join(tmp.dir, 't-rm'),
        {
          brokerUrl: tight.url,
          storeId: 'store-c',
          terminalId: 't1',
          drain: { pollIntervalMs: 100, maxBatchBytes: 4096 },
        },
        { keys },
      );
      appendMany(t.ledger, 2000, (i) => ({ i }));
      const up = startUpstreamFor(join(tmp.dir, 'up-rm'), { brokerUrl: tight.url });
      up.upstream.store.enrol('store-c', 't1', publicKeyPem(keys.publicKey));
      await up.upstream.start();
      await t.sync.start();
      await until(() => t.ledger.stats().pending === 0, 'all 2,000 acknowledged', 60_000);
      expect(up.upstream.store.sequences('store-c', 't1')).toEqual(
        Array.from({ length: 2000 }, (_, i) => i + 1),
      );
      await t.sync.stop();
      await up.upstream.stop();
    } finally {
      await tight.stop();
    }
  });

  it('upstream still ingests version 1 batches (a terminal not yet updated) and refuses an unknown version by name', async () => {
    const keys = terminalKeys();
    const ledger = new Ledger({
      db: openDatabase(join(tmp.dir, 'old-terminal.db')),
      identity: identityFromPrivateKey(keys.privateKey),
      storeId: 'store-b',
      terminalId: 't7',
    });
    appendMany(ledger, 30);
    const records = ledger.pending(0, 100);
    const up = startUpstreamFor(join(tmp.dir, 'up-v1'), { brokerUrl: broker.url });
    up.upstream.store.enrol('store-b', 't7', publicKeyPem(keys.publicKey));
    const acks: number[] = [];
    up.upstream.events.on('ingested', (e) => acks.push(e.ackSeq));
    await up.upstream.start();
    await until(() => up.upstream.connected(), 'upstream connected');
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const publish = (body: unknown) =>
      client.publishAsync('vt/store-b/t7/records', JSON.stringify(body), { qos: 1 });
    const head = { batchId: 't7:1-20', storeId: 'store-b', terminalId: 't7' };
    await publish({ v: 3, ...head, records: records.slice(0, 20) });
    await until(
      () => up.logLines().find((l) => String(l.issue).includes('record batch version 3 is not supported')),
      'refusal naming version 3',
    );
    await publish({ v: 1, ...head, records: records.slice(0, 20) });
    await publish({ v: 1, ...head, batchId: 't7:21-30', records: records.slice(20) });
    await until(() => acks.includes(30), 'version 1 batches acknowledged');
    expect(up.upstream.store.sequences('store-b', 't7')).toEqual(records.map((r) => r.seq));
    expect(up.upstream.store.alerts()).toEqual([]);
    await client.endAsync();
    await up.upstream.stop();
  });
});
