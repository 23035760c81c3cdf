import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalTopics } from '../../../terminal/sync/topics.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startUpstreamFor, terminalKeys, until } from '../sync/harness.js';

/**
 * A terminal's login flooding `ledger/req` (each answer is a database read and a publish):
 * upstream answers its burst and then its rate, drops the rest, says so once, and still answers
 * another terminal at once.
 */
describe.skipIf(!hasSystemTool('mosquitto'))('upstream under a request flood', () => {
  const tmp = makeTempDir('vt-upstream-flood-');
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir, allowAnonymous: true });
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it('2,000 ledger requests from one terminal: the burst and the rate answered, the rest dropped; another terminal still answered', async () => {
    const up = startUpstreamFor(join(tmp.dir, 'up'), {
      brokerUrl: broker.url,
      shareGroup: '',
      requestLimit: { burst: 20, perSecond: 5 },
    });
    up.upstream.store.enrol('S1', 'T1', publicKeyPem(terminalKeys().publicKey));
    up.upstream.store.enrol('S1', 'T2', publicKeyPem(terminalKeys().publicKey));
    await up.upstream.start();
    const client = await mqtt.connectAsync(broker.url, { clientId: 'flooder', protocolVersion: 5 });
    const answers = new Map<string, number>();
    client.on('message', (topic) => answers.set(topic, (answers.get(topic) ?? 0) + 1));
    const t1 = terminalTopics('S1', 'T1');
    const t2 = terminalTopics('S1', 'T2');
    await client.subscribeAsync([t1.ledgerResponse, t2.ledgerResponse], { qos: 1 });
    const request = (topics: typeof t1, i: number) =>
      client.publishAsync(
        topics.ledgerRequest,
        JSON.stringify({ v: 1, op: 'tip', replyTo: topics.ledgerResponse, correlation: `c${i}` }),
        { qos: 1, properties: { responseTopic: topics.ledgerResponse } },
      );
    const started = Date.now();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => request(t1, i)));
    // The flood is in; T2 asks once and is answered although T1 is over its limit.
    await request(t2, 0);
    await until(() => (answers.get(t2.ledgerResponse) ?? 0) === 1, 'T2 answered during the flood');
    const elapsedS = (Date.now() - started) / 1000;
    const answered = answers.get(t1.ledgerResponse) ?? 0;
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(answered).toBeLessThanOrEqual(20 + Math.ceil(elapsedS * 5) + 1);
    const warnings = up.logLines().filter((l) => String(l.msg).startsWith('terminal over its request limit'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(1 + Math.ceil(elapsedS * 5));
    await client.endAsync();
    await up.upstream.stop();
    up.db.close();
  }, 60_000);
});
