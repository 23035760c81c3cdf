import type { PrinterStatus } from '../../drivers/printer/types.js';
import type { HealthItem } from '../health/types.js';

/** Maps a printer's real-time status and queue depth to a health tile (`printer:<id>`). */
export function printerHealth(status: PrinterStatus | undefined, waiting: number): HealthItem {
  const details = { ...(status ?? {}), waitingJobs: waiting };
  if (!status) return { level: 'warn', reason: 'Printer not checked yet', details };
  if (status.paperOut) return { level: 'fail', reason: 'Paper out', details };
  if (status.coverOpen) return { level: 'fail', reason: 'Printer cover open', details };
  if (status.error) return { level: 'fail', reason: 'Printer error', details };
  if (!status.online) return { level: 'fail', reason: status.detail ?? 'Printer offline', details };
  if (status.paperNearEnd) return { level: 'warn', reason: 'Paper near end', details };
  return { level: 'ok', reason: waiting > 0 ? `Printing (${waiting} waiting)` : 'Ready', details };
}
