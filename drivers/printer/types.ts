import type { EventEmitter } from 'node:events';

/** Real-time printer status from DLE EOT (ESC/POS); `online: false` when unreachable. */
export interface PrinterStatus {
  online: boolean;
  coverOpen: boolean;
  paperNearEnd: boolean;
  paperOut: boolean;
  error: boolean;
  /** Paper is being fed with the feed button (DLE EOT 2 bit 3): offline for that moment only. */
  feeding?: boolean;
  /** Why `error` is set, from DLE EOT 3 (asked only when DLE EOT 2 reports an error). */
  errorCause?: PrinterErrorCause;
  /** Human-readable reason when not ready (for health). */
  detail?: string;
}

/** DLE EOT 3 "transmit error status" bits (Epson ESC/POS reference). */
export interface PrinterErrorCause {
  /** Bit 2: recoverable error (a mechanical error on older models): open and close the cover. */
  recoverable: boolean;
  /** Bit 3: autocutter error (jam); cleared by opening the cover and removing the paper. */
  autocutter: boolean;
  /** Bit 5: unrecoverable error (power off; service). */
  unrecoverable: boolean;
  /** Bit 6: automatically recoverable error (head overheated, supply voltage): clears by itself. */
  autoRecoverable: boolean;
}

export interface PrinterEvents {
  status: [PrinterStatus];
}

/**
 * One physical receipt printer. `write` resolves when the transport accepted every byte;
 * `status` queries DLE EOT with a timeout. One owner per printer: the print queue.
 */
export interface ReceiptPrinter extends EventEmitter<PrinterEvents> {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  write(bytes: Uint8Array, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
  status(options?: { timeoutMs?: number }): Promise<PrinterStatus>;
}
