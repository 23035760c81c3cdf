import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../terminal/logger.js';
import { MqttLink } from '../../../terminal/sync/link.js';
import { until } from '../../integration/sync/harness.js';

/**
 * `MqttLink.ready`: connected AND subscribed. Between CONNACK and SUBACK `connected` is already
 * true, but nothing published to our topics reaches us yet: a command sent then lost its result
 * (upstream `connected()`), and the terminal's status said "up" too early. An embedded broker holds
 * the SUBACK back until the test lets it go, so the window is observed, not raced.
 */
describe('MqttLink ready', () => {
  let server: Server | undefined;
  let broker: Aedes | undefined;
  let link: MqttLink | undefined;
  afterEach(async () => {
    await link?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
  });

  it('is false between CONNACK and SUBACK, true once subscribed, false again when the connection drops', async () => {
    let release: () => void = () => {};
    const subscribed = new Promise<void>((resolve) => (release = resolve));
    let subscribeAsked = false;
    broker = await Aedes.createBroker({
      authorizeSubscribe: (_client, subscription, callback) => {
        subscribeAsked = true;
        void subscribed.then(() => callback(null, subscription));
      },
    });
    server = createServer(broker.handle as (socket: Socket) => void);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    link = new MqttLink(
      {
        url: `mqtt://127.0.0.1:${port}`,
        clientId: 'vt-ready-test',
        protocol: '3.1.1',
        sessionExpirySeconds: 0,
        keepaliveSeconds: 30,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0, connectTimeoutMs: 5_000 },
        subscriptions: ['vt/s1/t1/cmd'],
        clean: true,
      },
      silentLogger(),
    );
    const connectEvents: unknown[] = [];
    link.on('connect', (info) => connectEvents.push(info));
    link.start();
    await until(() => link!.connected && subscribeAsked, 'CONNACK and the SUBSCRIBE held at the broker');
    expect(link.ready).toBe(false);
    expect(connectEvents).toHaveLength(0);
    release();
    await until(() => link!.ready, 'the link ready after SUBACK');
    expect(connectEvents).toHaveLength(1);
    for (const client of Object.values(
      (broker as unknown as { clients: Record<string, { close(): void }> }).clients,
    ))
      client.close();
    await until(() => !link!.connected, 'the connection dropped');
    expect(link.ready).toBe(false);
  });
});
