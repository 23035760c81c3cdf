import { open } from 'node:fs/promises';
import { PrinterError } from './errors.js';
import { type Connector, StreamPrinter, type StreamPrinterOptions } from './stream-printer.js';

export interface FilePrinterOptions extends StreamPrinterOptions {
  /** A file to append ESC/POS to, or a device node such as /dev/usb/lp0. */
  path: string;
}

/**
 * Appends bytes to a file or a write-only device node. There is no back-channel, so status is
 * "online" whenever the file opens (use USB or TCP for real-time status).
 */
export function fileConnector(path: string): Connector {
  return async () => {
    const handle = await open(path, 'a').catch((error: Error) => {
      throw new PrinterError('printer_offline', `Cannot open ${path}: ${error.message}`, { cause: error });
    });
    return {
      async write(bytes) {
        await handle.write(bytes);
        await handle.sync();
      },
      async close() {
        await handle.close();
      },
    };
  };
}

export class FilePrinter extends StreamPrinter {
  constructor(id: string, options: FilePrinterOptions) {
    super(id, fileConnector(options.path), { ...options, noStatus: true });
  }
}
