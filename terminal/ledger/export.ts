import { decodePayload } from './record-decoders.js';
import type { LedgerRecord } from './types.js';

/**
 * A day's ledger as CSV or NDJSON: one writer for `veriterm ledger export` and the manager
 * page's download, so a spreadsheet made from either lines up.
 */
export const CSV_COLUMNS = [
  'seq',
  'id',
  'type',
  'at',
  'store_id',
  'terminal_id',
  'code_key',
  'sale_id',
  'payload',
  'prev_hash',
  'hash',
  'signature',
] as const;

/** Whether `day` is a real calendar day written YYYY-MM-DD. */
export function isExportDay(day: string | undefined): day is string {
  if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  // Date.parse rolls 2026-02-30 over to March 2: the day must read back the same.
  const t = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day;
}

/** The UTC bounds [from, to) of a YYYY-MM-DD day as ISO strings, as `recordsBetween` takes them. */
export function dayBounds(day: string): { from: string; to: string } {
  const from = new Date(`${day}T00:00:00.000Z`);
  return { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString() };
}

/**
 * One record as a CSV line (no line ending). `code_key` and `sale_id` are what the record's decoder
 * says it is about (record-decoders.ts `refs`; several are separated by spaces, as a return's lines);
 * a sale's `sale_id` is its own id. A payload that does not decode leaves both empty: the export
 * still shows it whole in `payload`, and never fails on it.
 */
export function recordCsvLine(r: LedgerRecord): string {
  const decoded = decodePayload(r.type, r.payload);
  const refs = decoded.ok ? decoded.refs : { codeKeys: [], saleIds: [] };
  const codeKey = refs.codeKeys.join(' ');
  const saleId = r.type === 'sale' ? r.id : refs.saleIds.join(' ');
  return [
    String(r.seq),
    r.id,
    r.type,
    r.at,
    r.storeId,
    r.terminalId,
    codeKey,
    saleId,
    JSON.stringify(r.payload),
    r.prevHash,
    r.hash,
    r.signature,
  ]
    .map(csvField)
    .join(',');
}

/** RFC 4180: quote fields holding a comma, quote or line break; double inner quotes. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The records of one UTC day as CSV text (RFC 4180 CRLF line endings, header first). */
export function ledgerDayCsv(
  reads: { recordsBetween(from: string, to: string): Iterable<LedgerRecord> },
  day: string,
): string {
  const { from, to } = dayBounds(day);
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of reads.recordsBetween(from, to)) lines.push(recordCsvLine(r));
  return `${lines.join('\r\n')}\r\n`;
}
