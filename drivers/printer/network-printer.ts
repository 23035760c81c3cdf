import { connect, type Socket } from 'node:net';
import { PrinterError } from './errors.js';
import { type Connector, StreamPrinter, type StreamPrinterOptions } from './stream-printer.js';

export interface NetworkPrinterOptions extends StreamPrinterOptions {
  host: string;
  /** Raw print port ("port 9100", JetDirect/AppSocket). @default 9100 */
  port?: number;
  /** How long opening the TCP connection may take. @default 3000 */
  connectTimeoutMs?: number;
}

/** Opens a raw TCP connection (port 9100): bytes out are printed, DLE EOT answers come back. */
export function tcpConnector(options: { host: string; port: number; connectTimeoutMs: number }): Connector {
  return (handlers) =>
    new Promise((resolve, reject) => {
      const socket: Socket = connect({ host: options.host, port: options.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new PrinterError(
            'printer_offline',
            `No connection to ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new PrinterError(
            'printer_offline',
            `Cannot connect to ${options.host}:${options.port}: ${error.message}`,
            { cause: error },
          ),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', () => undefined); // 'close' follows and reports it
        socket.on('data', (data) => handlers.onData(data));
        socket.once('close', () => handlers.onClose());
        resolve({
          write: (bytes) =>
            new Promise<void>((done, fail) => {
              if (socket.destroyed) {
                fail(new PrinterError('printer_offline', 'Connection closed'));
                return;
              }
              socket.write(bytes, (error) => (error ? fail(error) : done()));
            }),
          close: () =>
            new Promise<void>((done) => {
              if (socket.destroyed) return done();
              socket.once('close', () => done());
              socket.end();
              setTimeout(() => socket.destroy(), 200).unref();
            }),
        });
      });
    });
}

/** An ESC/POS printer on the network, raw TCP port 9100. */
export class NetworkPrinter extends StreamPrinter {
  constructor(id: string, options: NetworkPrinterOptions) {
    super(
      id,
      tcpConnector({
        host: options.host,
        port: options.port ?? 9100,
        connectTimeoutMs: options.connectTimeoutMs ?? 3000,
      }),
      options,
    );
  }
}
