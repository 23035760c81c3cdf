import { realpath as fsRealpath } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { usbDeviceId } from '../backoff.js';
import type { BaseScannerDeps } from '../base-scanner.js';
import type { SerialScannerOptions } from '../options.js';
import { ReconnectingScannerSource } from '../reconnecting-scanner.js';
import { filterFrame } from './frame-filter.js';
import { createFramer, type FrameOverflow } from './framing.js';

/** The parts of serialport's SerialPort this source uses (tests may hand in any stream like it). */
export interface SerialPortLike extends NodeJS.EventEmitter {
  readonly isOpen: boolean;
  pipe<T extends NodeJS.WritableStream>(destination: T): T;
  unpipe(destination?: NodeJS.WritableStream): this;
  close(callback?: (error?: Error | null) => void): void;
}

export interface SerialOpenOptions {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

export interface SerialPortInfo {
  path: string;
  vendorId?: string | undefined;
  productId?: string | undefined;
  serialNumber?: string | undefined;
}

export interface SerialScannerDeps extends BaseScannerDeps {
  /** Opens a port; resolves once it is open. @default serialport's SerialPort */
  openPort?: (options: SerialOpenOptions) => Promise<SerialPortLike>;
  /** Lists ports for `match`. @default SerialPort.list */
  listPorts?: () => Promise<SerialPortInfo[]>;
  /** Resolves the stable path to the device node, to notice a by-id link that vanished or moved. */
  realpath?: (path: string) => Promise<string>;
}

/** An open port and the stable path it was found at. */
interface OpenSerialPort {
  port: SerialPortLike;
  path: string;
}

/** How often the stable path is re-checked while open: a vanished link is an unplug (< 2 s). */
const PATH_CHECK_MS = 400;

async function defaultOpenPort(options: SerialOpenOptions): Promise<SerialPortLike> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ ...options, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

async function defaultListPorts(): Promise<SerialPortInfo[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

/**
 * A serial or USB-CDC scanner: bytes framed by the configured suffix (or inter-byte silence),
 * bounded in length, cleaned of line noise, debounced. The port is found by a stable path or by
 * USB ids on every open, and reopened with capped backoff after an unplug.
 */
export class SerialScanner extends ReconnectingScannerSource<OpenSerialPort> {
  readonly #options: SerialScannerOptions;
  readonly #openPort: (options: SerialOpenOptions) => Promise<SerialPortLike>;
  readonly #listPorts: () => Promise<SerialPortInfo[]>;
  readonly #realpath: (path: string) => Promise<string>;

  constructor(options: SerialScannerOptions, deps: SerialScannerDeps = {}) {
    const { path, match } = options;
    const id =
      options.deviceId ?? path ?? usbDeviceId(match!.vendorId, match!.productId, match!.serialNumber);
    super(id, options, deps);
    this.#options = options;
    this.#openPort = deps.openPort ?? defaultOpenPort;
    this.#listPorts = deps.listPorts ?? defaultListPorts;
    this.#realpath = deps.realpath ?? fsRealpath;
  }

  async #resolvePath(): Promise<string | undefined> {
    if (this.#options.path !== undefined) return this.#options.path;
    const match = this.#options.match!;
    const hex = (n: number) => n.toString(16).padStart(4, '0');
    const ports = await this.#listPorts();
    const found = ports.find(
      (p) =>
        p.vendorId?.toLowerCase() === hex(match.vendorId) &&
        p.productId?.toLowerCase() === hex(match.productId) &&
        (match.serialNumber === undefined || p.serialNumber === match.serialNumber),
    );
    return found?.path;
  }

  protected async open(): Promise<OpenSerialPort | undefined> {
    const path = await this.#resolvePath();
    if (path === undefined) return undefined;
    const { baudRate, dataBits, parity, stopBits } = this.#options;
    return { port: await this.#openPort({ path, baudRate, dataBits, parity, stopBits }), path };
  }

  protected async discard({ port }: OpenSerialPort): Promise<void> {
    port.close();
  }

  /** Reads from an open port until it closes; resolves with the reason. */
  protected serve({ port, path }: OpenSerialPort): Promise<string> {
    const { suffix, maxFrameLength, interByteTimeoutMs } = this.#options;
    const framer: Transform = createFramer(suffix, maxFrameLength, interByteTimeoutMs);
    return new Promise<string>((resolve) => {
      let finished = false;
      let watch: NodeJS.Timeout | undefined;
      const finish = (reason: string) => {
        if (finished) return;
        finished = true;
        if (watch) clearInterval(watch);
        this.whileServing(undefined);
        port.unpipe(framer);
        framer.destroy();
        if (port.isOpen) port.close();
        resolve(reason);
      };
      this.whileServing(finish);
      framer.on('data', (frame: Buffer) => this.#onFrame(frame));
      framer.on('overflow', ({ droppedBytes }: FrameOverflow) =>
        this.reportError(
          'overlong',
          `Read exceeded maxFrameLength ${maxFrameLength} (${droppedBytes} bytes so far); discarded up to the next ${suffix === 'none' ? 'pause' : 'suffix'}`,
        ),
      );
      port.on('close', (error?: Error & { disconnected?: boolean }) =>
        finish(error?.disconnected ? 'device unplugged' : 'port closed'),
      );
      port.on('error', (error: Error) => finish(`I/O error: ${error.message}`));
      port.pipe(framer);
      this.markConnected();
      // A USB unplug removes the by-id link; a PTY whose far end closed may not wake a blocked
      // read. Re-checking where the stable path points catches both, and a replug that re-points it.
      this.#realpath(path).then(
        (target) => {
          if (finished) return;
          watch = setInterval(() => {
            this.#realpath(path).then(
              (now) => {
                if (now !== target) finish('device path now points elsewhere');
              },
              () => finish('device path vanished'),
            );
          }, PATH_CHECK_MS);
        },
        () => finish('device path vanished'),
      );
    });
  }

  #onFrame(frame: Buffer): void {
    const receivedAt = this.now();
    const verdict = filterFrame(frame, this.#options.maxFrameLength);
    if (!verdict.ok) {
      if (verdict.code !== 'empty') this.reportError(verdict.code, verdict.message);
      return;
    }
    this.deliver(verdict.bytes.toString(this.#options.encoding), undefined, receivedAt);
  }
}
