import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy whose link can be cut and restored: simulates a store losing its network
 * (both ends see the connection drop; new connections are refused while cut).
 */
export interface TcpProxy {
  port: number;
  url: string;
  /** Destroys every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /** Bytes forwarded from clients to the target (what the terminal put on the wire). */
  bytesUp(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, scheme = 'mqtt'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  let up = 0;
  const server: Server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => {
      up += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    url: `${scheme}://127.0.0.1:${address.port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      isCut = false;
    },
    bytesUp: () => up,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
