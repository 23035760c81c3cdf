import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthItem } from '../../../terminal/health/types.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, startUpstreamFor, terminalKeys, until } from './harness.js';

/**
 * A broker whose ACL lets any client publish on a terminal's acks topic (what the demo broker did):
 * a forged acknowledgement must not stop the uplink, and health must say what happened.
 */
describe.skipIf(!hasSystemTool('mosquitto'))('forged and malformed acknowledgements', () => {
  const tmp = makeTempDir('vt-sync-forged-ack-');
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir, allowAnonymous: true });
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it('a forged retained ackSeq 1000000000 is ignored: the terminal keeps draining, records arrive, health warns then recovers', async () => {
    const attacker = await mqtt.connectAsync(broker.url, { clientId: 'attacker', protocolVersion: 5 });
    await attacker.publishAsync('vt/store-a/t1/acks', JSON.stringify({ v: 1, ackSeq: 1_000_000_000 }), {
      qos: 1,
      retain: true,
    });
    const keys = terminalKeys();
    const history: HealthItem[] = [];
    const t = startTerminal(
      join(tmp.dir, 't1'),
      {
        brokerUrl: broker.url,
        storeId: 'store-a',
        terminalId: 't1',
        drain: { pollIntervalMs: 50, ackTimeoutMs: 500 },
        reconnect: { initialDelayMs: 50 },
      },
      { keys, onHealth: (component, item) => component === 'upstream' && history.push(item) },
    );
    appendMany(t.ledger, 30);
    await t.sync.start();
    // The retained forgery arrives first; it moves nothing and health names it.
    await until(() => t.sync.status().rejectedAcks >= 1, 'forged retained ack refused');
    expect(t.ledger.stats()).toMatchObject({ pending: 30, lastAckedSeq: 0 });
    expect(t.sync.status().lastAckedSeq).toBe(0);
    const warned = history.find((h) => h.code === 'upstream.impossible_ack');
    expect(warned?.level).toBe('warn');
    expect(warned?.reason).toContain('beyond our last record 30');
    expect(t.logLines().some((l) => l.msg === 'upstream acknowledgement ignored')).toBe(true);

    // The real upstream comes up: everything is delivered, and its ack replaces the forgery.
    const up = startUpstreamFor(join(tmp.dir, 'up'), { brokerUrl: broker.url });
    up.upstream.store.enrol('store-a', 't1', publicKeyPem(keys.publicKey));
    await up.upstream.start();
    await until(() => t.ledger.stats().pending === 0, 'all 30 records acknowledged by the real upstream');
    expect(up.upstream.store.sequences('store-a', 't1')).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await until(() => t.health.get('upstream')?.level === 'ok', 'health ok after a valid ack');
    expect(t.health.get('upstream')?.code).not.toBe('upstream.impossible_ack');

    // Garbage on the acks topic, live this time: each is refused and counted; nothing moves.
    const before = t.sync.status().rejectedAcks;
    const refused: string[] = [];
    t.sync.events.on('refused', (r) => refused.push(r.code));
    const garbage: (string | Buffer)[] = [
      'not json at all',
      Buffer.from([0x78, 0x9c, 0x01, 0x02]), // looks deflated, is not
      deflateSync('{"v":1,"ackSeq":'), // inflates to broken JSON
      JSON.stringify({ v: 1, ackSeq: -1 }),
      JSON.stringify({ v: 1, ackSeq: 2.5 }),
      '{"v":1,"ackSeq":1e300}',
      JSON.stringify({ v: 1, ackSeq: '30' }),
      JSON.stringify({ v: 2, ackSeq: 30 }),
      JSON.stringify({ v: 1, ackSeq: 31 }), // one beyond our head
    ];
    for (const payload of garbage) await attacker.publishAsync('vt/store-a/t1/acks', payload, { qos: 1 });
    await until(() => t.sync.status().rejectedAcks === before + garbage.length, 'every bad ack refused');
    expect(refused).toHaveLength(garbage.length);
    expect(refused.at(-1)).toBe('impossible_ack');
    expect(t.health.get('upstream')).toMatchObject({ level: 'warn', code: 'upstream.impossible_ack' });
    expect(t.ledger.stats().lastAckedSeq).toBe(30);

    // The link still works: new records go up and the next real ack clears the warning.
    appendMany(t.ledger, 5);
    t.sync.kick();
    await until(() => t.ledger.stats().pending === 0 && t.ledger.stats().lastAckedSeq === 35, 'new records');
    expect(up.upstream.store.sequences('store-a', 't1')).toHaveLength(35);
    await until(() => t.health.get('upstream')?.level === 'ok', 'warning cleared by a valid ack');

    await attacker.endAsync();
    await t.sync.stop();
    await up.upstream.stop();
  });
});
