/**
 * A printer fault with a stable `code` (drivers/ cannot import terminal/errors.ts; the shape is the
 * same: `code` + message + cause). Codes: printer_offline, printer_timeout, printer_write_failed,
 * printer_not_found, printer_options_invalid, printer_stopped.
 */
export class PrinterError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrinterError';
    this.code = code;
  }
}
