import type { PrinterErrorCause, PrinterStatus } from './types.js';

/**
 * DLE EOT n, "Transmit real-time status" (ESC/POS). The printer answers each with one byte whose
 * bits 0 and 7 are 0 and bits 1 and 4 are 1, even while it is offline or out of paper.
 *   n=1 printer status:  bit 3 offline
 *   n=2 offline cause:   bit 2 cover open, bit 3 feeding by button, bit 5 stopped on paper end, bit 6 error
 *   n=3 error cause:     bit 2 recoverable, bit 3 autocutter, bit 5 unrecoverable, bit 6 auto-recoverable
 *   n=4 paper sensor:    bits 2–3 roll near end, bits 5–6 roll end (no paper)
 * n=3 is asked only after n=2 reports an error: it says what to do (wait for the head to cool,
 * clear the cutter, power-cycle), and a printer that ignores n=3 then still reads "printer error".
 */
export const DLE_EOT_PRINTER = Uint8Array.of(0x10, 0x04, 0x01);
export const DLE_EOT_OFFLINE_CAUSE = Uint8Array.of(0x10, 0x04, 0x02);
export const DLE_EOT_ERROR = Uint8Array.of(0x10, 0x04, 0x03);
export const DLE_EOT_PAPER = Uint8Array.of(0x10, 0x04, 0x04);
/** The three requests a status poll sends, in the order their answers arrive. */
export const STATUS_QUERY = Uint8Array.of(...DLE_EOT_PRINTER, ...DLE_EOT_OFFLINE_CAUSE, ...DLE_EOT_PAPER);

/** Whether a byte has the fixed bits of a DLE EOT answer (0xx1xx10). */
export function isStatusByte(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

/** Whether DLE EOT 2's answer reports an error (then DLE EOT 3 says which). */
export function hasError(offlineCause: number): boolean {
  return (offlineCause & 0x40) !== 0;
}

export function parseErrorCause(byte: number): PrinterErrorCause {
  return {
    recoverable: (byte & 0x04) !== 0,
    autocutter: (byte & 0x08) !== 0,
    unrecoverable: (byte & 0x20) !== 0,
    autoRecoverable: (byte & 0x40) !== 0,
  };
}

export function parseStatus(
  printer: number,
  offlineCause: number,
  paper: number,
  errorCause?: number,
): PrinterStatus {
  const coverOpen = (offlineCause & 0x04) !== 0;
  const paperOut = (paper & 0x60) !== 0 || (offlineCause & 0x20) !== 0;
  const paperNearEnd = (paper & 0x0c) !== 0;
  const error = hasError(offlineCause);
  const online = (printer & 0x08) === 0;
  const status: Omit<PrinterStatus, 'detail'> = { online, coverOpen, paperNearEnd, paperOut, error };
  if ((offlineCause & 0x08) !== 0) status.feeding = true;
  if (error && errorCause !== undefined) status.errorCause = parseErrorCause(errorCause);
  return withDetail(status);
}

/** Status bytes for a printer state (the inverse of parseStatus; used by the fakes). */
export function encodeStatus(state: {
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  error: boolean;
  feeding?: boolean | undefined;
  errorCause?: PrinterErrorCause | undefined;
}): [number, number, number, number] {
  const offline = state.coverOpen || state.paperOut || state.error || state.feeding === true;
  const cause = state.errorCause;
  return [
    0x12 | (offline ? 0x08 : 0),
    0x12 |
      (state.coverOpen ? 0x04 : 0) |
      (state.feeding ? 0x08 : 0) |
      (state.paperOut ? 0x20 : 0) |
      (state.error ? 0x40 : 0),
    0x12 | (state.paperNearEnd || state.paperOut ? 0x0c : 0) | (state.paperOut ? 0x60 : 0),
    0x12 |
      (cause?.recoverable ? 0x04 : 0) |
      (cause?.autocutter ? 0x08 : 0) |
      (cause?.unrecoverable ? 0x20 : 0) |
      (cause?.autoRecoverable ? 0x40 : 0),
  ];
}

export function unreachableStatus(reason: string): PrinterStatus {
  return {
    online: false,
    coverOpen: false,
    paperNearEnd: false,
    paperOut: false,
    error: false,
    detail: reason,
  };
}

/** Whether a job can be sent now. */
export function isReady(status: PrinterStatus): boolean {
  return status.online && !status.paperOut && !status.coverOpen && !status.error;
}

function withDetail(status: Omit<PrinterStatus, 'detail'>): PrinterStatus {
  const reasons: string[] = [];
  if (status.paperOut) reasons.push('Paper out');
  if (status.coverOpen) reasons.push('Cover open');
  if (status.error) reasons.push(...errorReasons(status.errorCause));
  if (status.feeding && reasons.length === 0) reasons.push('Paper being fed with the feed button');
  if (!status.online && reasons.length === 0) reasons.push('Offline');
  if (status.paperNearEnd && !status.paperOut) reasons.push('Paper near end');
  return reasons.length > 0 ? { ...status, detail: reasons.join(', ') } : status;
}

/** What each DLE EOT 3 cause means for the person at the printer. */
function errorReasons(cause: PrinterErrorCause | undefined): string[] {
  const reasons: string[] = [];
  if (cause?.autoRecoverable)
    reasons.push('Print head too hot or supply voltage out of range: printing resumes by itself');
  if (cause?.autocutter) reasons.push('Autocutter error: open the cover and clear the cutter');
  if (cause?.unrecoverable) reasons.push('Unrecoverable printer error: switch the printer off and on');
  if (cause?.recoverable) reasons.push('Recoverable printer error: open and close the cover');
  return reasons.length > 0 ? reasons : ['Printer error'];
}

export function sameStatus(a: PrinterStatus | undefined, b: PrinterStatus): boolean {
  return (
    a !== undefined &&
    a.online === b.online &&
    a.coverOpen === b.coverOpen &&
    a.paperNearEnd === b.paperNearEnd &&
    a.paperOut === b.paperOut &&
    a.error === b.error &&
    a.feeding === b.feeding &&
    a.detail === b.detail
  );
}

/** Why a printer cannot print now, most specific first (see `printerFault`). */
export type PrinterFault = 'paper_out' | 'cover_open' | 'error' | 'offline';

/**
 * The one reason to show for a status, or undefined when the printer can print. A printer out of
 * paper or with its cover open also reports itself offline (DLE EOT 1 bit 3), so those causes are
 * tested before `online`: "offline" is left for a printer that says nothing more (or does not answer).
 */
export function printerFault(status: PrinterStatus): PrinterFault | undefined {
  if (status.paperOut) return 'paper_out';
  if (status.coverOpen) return 'cover_open';
  if (status.error) return 'error';
  if (!status.online) return 'offline';
  return undefined;
}
