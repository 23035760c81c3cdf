import type { FeedAlert } from './feed-alert.js';

/** CSV columns of the feed: one row per alert; the evidence itself is in the JSON form. */
export const FEED_CSV_COLUMNS = [
  'id',
  'detected_at',
  'at',
  'kind',
  'source',
  'store_id',
  'terminal_id',
  'seq',
  'stores',
  'terminals',
  'codes',
  'products',
  'message',
  'records',
] as const;

/**
 * One CSV field (RFC 4180). Text from terminals (a shopper's note, ids) may start with `=`, `+`,
 * `-`, `@`, tab or CR, which spreadsheets run as a formula (OWASP "CSV injection"): such a field
 * gets a leading `'`.
 */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The evidence records as `store/terminal#seq:hash`, space-separated (what to look up in the case file). */
function recordsOf(alert: FeedAlert): string {
  return alert.evidence.records
    .map((e) => `${e.record.storeId}/${e.record.terminalId}#${e.record.seq}:${e.record.hash}`)
    .join(' ');
}

export function csvHeader(): string {
  return `${FEED_CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(alert: FeedAlert): string {
  const fields: (string | number)[] = [
    alert.id,
    alert.detectedAt,
    alert.at,
    alert.kind,
    alert.source,
    alert.storeId,
    alert.terminalId,
    alert.seq,
    alert.stores.join(' '),
    alert.terminals.join(' '),
    alert.codes.join(' '),
    alert.products.join(' '),
    alert.message,
    recordsOf(alert),
  ];
  return `${fields.map(csvField).join(',')}\r\n`;
}
