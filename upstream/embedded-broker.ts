import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * An in-process MQTT broker (aedes) for `npm start` and quick local runs: no TLS, no ACL, MQTT
 * 3.1.1 only (terminal/sync falls back to 3.1.1 by itself), no shared subscriptions. Production
 * uses mosquitto, EMQX or HiveMQ with the README's ACL.
 */
export async function startEmbeddedBroker(
  options: { port?: number; host?: string } = {},
): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle as (socket: import('node:net').Socket) => void);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
