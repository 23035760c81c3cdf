import type { SerialPort } from 'serialport';
import { PrinterError } from './errors.js';
import { type Connector, StreamPrinter, type StreamPrinterOptions } from './stream-printer.js';

export interface SerialPrinterOptions extends StreamPrinterOptions {
  path: string;
  /** @default 9600 (the factory default of most receipt printers' serial boards) */
  baudRate?: number;
  /** Hardware flow control: on when the printer's DIP switches select DTR/DSR or RTS/CTS. @default false */
  rtscts?: boolean;
  /** serialport binding (SerialPortMock.binding in tests). @default the OS binding */
  binding?: unknown;
}

export function serialConnector(options: SerialPrinterOptions): Connector {
  return async (handlers) => {
    // serialport (its native binding and every parser) loads on the first open, so a terminal
    // without a serial printer never pays for it at start-up.
    const { SerialPort: Port } = await import('serialport');
    return new Promise((resolve, reject) => {
      const port = new Port({
        path: options.path,
        baudRate: options.baudRate ?? 9600,
        rtscts: options.rtscts ?? false,
        autoOpen: false,
        ...(options.binding ? { binding: options.binding } : {}),
      } as ConstructorParameters<typeof SerialPort>[0]);
      port.open((error) => {
        if (error) {
          reject(
            new PrinterError('printer_offline', `Cannot open ${options.path}: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        port.on('data', (data: Buffer) => handlers.onData(data));
        port.on('error', () => undefined);
        port.once('close', () => handlers.onClose());
        resolve({
          write: (bytes) =>
            new Promise<void>((done, fail) => {
              port.write(Buffer.from(bytes), (writeError) => {
                if (writeError) return fail(writeError);
                // drain: resolved only when the OS took the bytes, not just the stream buffer.
                port.drain((drainError) => (drainError ? fail(drainError) : done()));
              });
            }),
          close: () =>
            new Promise<void>((done) => {
              if (!port.isOpen) return done();
              port.close(() => done());
            }),
        });
      });
    });
  };
}

/** An ESC/POS printer on a serial port (RS-232 or USB-CDC). */
export class SerialPrinter extends StreamPrinter {
  constructor(id: string, options: SerialPrinterOptions) {
    super(id, serialConnector(options), options);
  }
}
