import { createInterface, type Interface } from 'node:readline';
import { type BaseScannerDeps, type BaseScannerOptions, BaseScannerSource } from './base-scanner.js';

export interface StreamScannerOptions extends BaseScannerOptions {
  /** @default 'stdin' */
  deviceId?: string;
  /** Longest accepted line in characters; longer lines are reported as `overlong`. @default 4096 */
  maxFrameLength?: number;
}

export interface StreamScannerDeps extends BaseScannerDeps {
  /** Where lines come from. @default process.stdin */
  input?: NodeJS.ReadableStream;
}

/**
 * One scan per line of a text stream (stdin by default): for a scanner piped in by a shell,
 * a terminal emulator, or a technician typing codes. A GS cannot be typed on most keyboards,
 * so the literal token `<GS>` (and the escape `\x1d`) in a line is turned into 0x1D.
 * The stream's end is reported as `disconnected`; the stream itself is never closed here.
 */
export class StdinScanner extends BaseScannerSource {
  readonly #input: NodeJS.ReadableStream;
  readonly #maxFrameLength: number;
  #lines: Interface | undefined;

  constructor(options: StreamScannerOptions = {}, deps: StreamScannerDeps = {}) {
    super(options.deviceId ?? 'stdin', options, deps);
    this.#input = deps.input ?? process.stdin;
    this.#maxFrameLength = options.maxFrameLength ?? 4096;
  }

  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.setState('connecting');
    const lines = createInterface({
      input: this.#input,
      crlfDelay: Number.POSITIVE_INFINITY,
      terminal: false,
    });
    this.#lines = lines;
    lines.on('line', (line) => this.#onLine(line));
    lines.on('close', () => {
      if (this.#lines === lines) this.markDisconnected('end of input');
    });
    this.markConnected();
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopped');
    const lines = this.#lines;
    this.#lines = undefined;
    lines?.close();
    this.resetDebounce();
  }

  #onLine(line: string): void {
    const receivedAt = this.now();
    const data = line.replaceAll('<GS>', '\x1d').replaceAll('\\x1d', '\x1d').replace(/\r$/, '');
    if (data.trim() === '') return;
    if (data.length > this.#maxFrameLength) {
      this.reportError(
        'overlong',
        `Line of ${data.length} characters exceeds maxFrameLength ${this.#maxFrameLength}; discarded`,
      );
      return;
    }
    this.deliver(data, undefined, receivedAt);
  }
}
