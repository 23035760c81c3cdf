import type { EventEmitter } from 'node:events';

/** Real-time printer status from DLE EOT (ESC/POS); `online: false` when unreachable. */
export interface PrinterStatus {
  online: boolean;
  coverOpen: boolean;
  paperNearEnd: boolean;
  paperOut: boolean;
  error: boolean;
  /** Human-readable reason when not ready (for health). */
  detail?: string;
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
