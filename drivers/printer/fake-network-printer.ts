import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { type DeviceState, type PrintedReceipt, SimulatedPrinterDevice } from './simulated-device.js';

export interface FakeNetworkPrinterOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 lets the OS pick a free port (read `.port` after `start()`). @default 0 */
  port?: number;
}

/**
 * A network receipt printer on loopback TCP for tests and the demo: it decodes the ESC/POS it
 * receives (text, QR, barcodes, images, cuts), answers DLE EOT, and can run out of paper,
 * open its cover or drop the connection on demand.
 */
export class FakeNetworkPrinter {
  readonly device: SimulatedPrinterDevice;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;
  private readonly host: string;
  private readonly wantedPort: number;
  private answering = true;

  constructor(options: FakeNetworkPrinterOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.wantedPort = options.port ?? 0;
    this.device = new SimulatedPrinterDevice((bytes) => {
      if (!this.answering) return;
      for (const socket of this.sockets) socket.write(bytes);
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get receipts(): PrintedReceipt[] {
    return this.device.receipts;
  }

  /** Number of clients connected right now. */
  get connections(): number {
    return this.sockets.size;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('data', (data) => this.device.receive(data));
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    server.listen(this.wantedPort, this.host);
    await once(server, 'listening');
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.wantedPort;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.dropConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Simulates a fault: `setState({ paperOut: true })`, later `{ paperOut: false }`. */
  setState(state: Partial<DeviceState>): void {
    this.device.set(state);
  }

  /** A hung printer: it still takes bytes but stops answering DLE EOT. */
  setAnswering(answering: boolean): void {
    this.answering = answering;
  }

  /** Cuts every client off (a pulled network cable). */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  waitForReceipts(count: number, options?: { timeoutMs?: number; from?: number }): Promise<PrintedReceipt[]> {
    return this.device.waitForReceipts(count, options);
  }
}
