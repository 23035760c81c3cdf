import { EventEmitter } from 'node:events';
import { decodeText, EscPosDecoder, type PrintAction } from './escpos-decoder.js';
import { encodeStatus } from './status.js';
import type { PrinterErrorCause } from './types.js';

/** One receipt as the simulated printer printed it (everything up to and including a cut). */
export interface PrintedReceipt {
  /** Text lines, decoded (GB18030 in Chinese mode), trailing spaces removed. */
  lines: string[];
  /** Lines printed in bold (ESC E 1). */
  boldLines: string[];
  qrCodes: string[];
  barcodes: { symbology: number; data: string }[];
  /** Raster or column images (logos, CJK lines on printers without a Chinese font). */
  images: { widthDots: number; heightDots: number }[];
  drawerPulses: number;
  cut: boolean;
}

export interface SimulatedDeviceEvents {
  /** A receipt was cut off. */
  receipt: [PrintedReceipt];
  /** Raw bytes arrived. */
  data: [Uint8Array];
}

export interface DeviceState {
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  error: boolean;
  /** The feed button is held (offline while paper feeds). */
  feeding?: boolean;
  /** What DLE EOT 3 answers while `error` is set. */
  errorCause?: PrinterErrorCause;
  /** false: the printer does not answer DLE EOT 3 at all (some clones). @default true */
  answersErrorStatus?: boolean;
}

const emptyReceipt = (): PrintedReceipt => ({
  lines: [],
  boldLines: [],
  qrCodes: [],
  barcodes: [],
  images: [],
  drawerPulses: 0,
  cut: false,
});

/**
 * The printer mechanism behind every fake (TCP, in-memory, USB endpoint, serial PTY): decodes
 * ESC/POS, answers DLE EOT at once, and, like a real printer, holds what it receives while it
 * is out of paper or its cover is open and prints it when the fault clears. Nothing is lost and
 * nothing printed twice unless the host sends it twice.
 */
export class SimulatedPrinterDevice extends EventEmitter<SimulatedDeviceEvents> {
  readonly receipts: PrintedReceipt[] = [];
  /** Chunks received, in order (the latest 10 000; for golden comparisons and debugging). */
  received: Uint8Array[] = [];
  private state: DeviceState = { coverOpen: false, paperOut: false, paperNearEnd: false, error: false };
  private current = emptyReceipt();
  private held: PrintAction[] = [];
  private line: Uint8Array[] = [];
  private bold = false;
  private lineBold = false;
  private afterGraphic = false;
  private chinese = false;
  private table = 0;
  private readonly decoder: EscPosDecoder;

  /** `respond` carries status answers back to the host. */
  constructor(private readonly respond: (bytes: Uint8Array) => void = () => undefined) {
    super();
    this.decoder = new EscPosDecoder({
      onStatusRequest: (n) => this.answer(n),
      onAction: (action) => (this.blocked() ? this.held.push(action) : this.apply(action)),
    });
  }

  /** Feeds bytes from the host. */
  receive(bytes: Uint8Array): void {
    this.received.push(bytes.slice());
    // A long demo run polls status every few seconds: keep the recent history only.
    if (this.received.length > 10_000) this.received.splice(0, this.received.length - 10_000);
    this.emit('data', bytes);
    this.decoder.push(bytes);
  }

  /** Changes the mechanism's state (paper out on demand); held output prints when cleared. */
  set(state: Partial<DeviceState>): void {
    this.state = { ...this.state, ...state };
    if (!this.blocked()) {
      const held = this.held;
      this.held = [];
      for (const action of held) this.apply(action);
    }
  }

  get status(): DeviceState {
    return { ...this.state };
  }

  /** Bytes received but not yet printed (waiting for paper). */
  get heldActions(): number {
    return this.held.length;
  }

  /** The receipt being printed (not cut yet). */
  get pending(): PrintedReceipt {
    return this.current;
  }

  /** Resolves with the next `count` receipts cut from now on (or already cut past `from`). */
  waitForReceipts(
    count: number,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<PrintedReceipt[]> {
    const from = options.from ?? 0;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.receipts.length - from >= count) {
          this.off('receipt', check);
          clearTimeout(timer);
          resolve(this.receipts.slice(from, from + count));
        }
      };
      const timer = setTimeout(() => {
        this.off('receipt', check);
        reject(new Error(`Expected ${count} receipts, got ${this.receipts.length - from}`));
      }, options.timeoutMs ?? 5000);
      this.on('receipt', check);
      check();
    });
  }

  private blocked(): boolean {
    return this.state.paperOut || this.state.coverOpen || this.state.error;
  }

  private statusBytes: Partial<Record<number, number>> | undefined;

  /**
   * Answers DLE EOT n with these bytes (a real printer's, from a dump) instead of the state's;
   * n missing = no answer. `undefined` goes back to answering from the state.
   */
  setStatusBytes(bytes: Partial<Record<number, number>> | undefined): void {
    this.statusBytes = bytes;
  }

  private answer(n: number): void {
    if (this.statusBytes) {
      const byte = this.statusBytes[n];
      if (byte !== undefined) this.respond(Uint8Array.of(byte));
      return;
    }
    const [printer, offline, paper, error] = encodeStatus(this.state);
    if (n === 3 && this.state.answersErrorStatus === false) return; // a printer that ignores n=3
    const byte = n === 1 ? printer : n === 2 ? offline : n === 3 ? error : n === 4 ? paper : 0x12;
    this.respond(Uint8Array.of(byte));
  }

  private apply(action: PrintAction): void {
    switch (action.type) {
      case 'text':
        this.afterGraphic = false;
        this.line.push(action.bytes);
        if (this.bold) this.lineBold = true;
        return;
      case 'newline':
        // The LF that ends a QR code, barcode or image line is not a text line of its own.
        if (this.afterGraphic && this.line.length === 0) this.afterGraphic = false;
        else this.endLine();
        return;
      case 'bold':
        this.bold = action.on;
        return;
      case 'chinese':
        this.chinese = action.on;
        return;
      case 'codepage':
        this.table = action.table;
        return;
      case 'init':
        this.bold = false;
        this.chinese = false;
        this.table = 0;
        return;
      case 'qr':
        this.current.qrCodes.push(action.data);
        this.afterGraphic = true;
        return;
      case 'barcode':
        this.current.barcodes.push({ symbology: action.symbology, data: action.data });
        this.afterGraphic = true;
        return;
      case 'image':
        this.current.images.push({ widthDots: action.widthDots, heightDots: action.heightDots });
        this.afterGraphic = true;
        return;
      case 'feed':
        return;
      case 'drawer':
        this.current.drawerPulses++;
        return;
      case 'cut': {
        if (this.line.length > 0) this.endLine();
        const receipt = { ...this.current, cut: true };
        this.current = emptyReceipt();
        this.receipts.push(receipt);
        this.emit('receipt', receipt);
        return;
      }
    }
  }

  private endLine(): void {
    const bytes = Buffer.concat(this.line);
    const text = decodeText(bytes, this.chinese, this.table).trimEnd();
    this.current.lines.push(text);
    if (this.lineBold) this.current.boldLines.push(text);
    this.line = [];
    this.lineBold = false;
  }
}
