import type { PrinterStatus } from '../../drivers/printer/types.js';
import type { HealthItem } from '../health/types.js';

/** Maps a printer's real-time status and queue depth to a health tile (`printer:<id>`). */
export function printerHealth(status: PrinterStatus | undefined, waiting: number): HealthItem {
  const details = { ...(status ?? {}), waitingJobs: waiting };
  if (!status)
    return { level: 'warn', code: 'printer.unchecked', reason: 'Printer not checked yet', details };
  if (status.paperOut) return { level: 'fail', code: 'printer.paper_out', reason: 'Paper out', details };
  if (status.coverOpen)
    return { level: 'fail', code: 'printer.cover_open', reason: 'Printer cover open', details };
  if (status.error) return { level: 'fail', code: 'printer.error', reason: 'Printer error', details };
  if (!status.online)
    return status.detail
      ? {
          level: 'fail',
          code: 'printer.offline_detail',
          params: { detail: status.detail },
          reason: status.detail,
          details,
        }
      : { level: 'fail', code: 'printer.offline', reason: 'Printer offline', details };
  if (status.paperNearEnd)
    return { level: 'warn', code: 'printer.paper_low', reason: 'Paper near end', details };
  return waiting > 0
    ? {
        level: 'ok',
        code: 'printer.printing',
        params: { waiting },
        reason: `Printing (${waiting} waiting)`,
        details,
      }
    : { level: 'ok', code: 'printer.ready', reason: 'Ready', details };
}
