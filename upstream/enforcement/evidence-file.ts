import { type Evidence, type EvidenceVerdict, verifyEvidence } from './evidence.js';
import type { FeedAlert } from './feed-alert.js';

/** Largest evidence file `verifyEvidenceText` reads (a page of alerts is a few MiB). */
export const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;

export interface AlertVerdict extends EvidenceVerdict {
  /** The alert's id, or its position in the file when it is bare evidence. */
  label: string;
}

/** The roles of the record an alert is about, in the order they are looked for. */
const PRIMARY_ROLES = ['sale', 'received', 'report'];

/**
 * An alert's evidence, and the alert's own fields against it: the record it names (store,
 * terminal, seq) is in the evidence, every code it lists is a record's `codeKey`, and a clone's
 * other store is the earlier sale's. So a case file whose fields were edited fails too.
 */
export function verifyAlert(alert: FeedAlert): EvidenceVerdict {
  const verdict = verifyEvidence(alert.evidence);
  if (verdict.records.length === 0) return verdict;
  const problems = [...verdict.problems];
  const items = alert.evidence.records;
  const primary = items.find((e) => PRIMARY_ROLES.includes(e.role))?.record;
  if (
    !primary ||
    primary.storeId !== alert.storeId ||
    primary.terminalId !== alert.terminalId ||
    primary.seq !== alert.seq
  )
    problems.push(
      `the alert names ${alert.storeId}/${alert.terminalId} seq ${alert.seq}, which is not its evidence record`,
    );
  const named = new Set(items.map((e) => (e.record?.payload as { codeKey?: unknown } | undefined)?.codeKey));
  for (const code of alert.codes ?? [])
    if (!named.has(code)) problems.push(`code ${code} is in no evidence record`);
  if (alert.kind === 'clone' && alert.source === 'upstream') {
    const earlier = items.find((e) => e.role === 'earlier_sale')?.record;
    const stores = [alert.storeId, earlier?.storeId].filter((s) => s !== undefined);
    if (!earlier || (alert.stores ?? []).some((s) => !stores.includes(s)))
      problems.push("the alert's stores are not the two sales' stores");
  }
  return { ...verdict, ok: problems.length === 0, problems };
}

function isAlert(value: unknown): value is FeedAlert {
  return typeof value === 'object' && value !== null && 'evidence' in value && 'kind' in value;
}

/**
 * Verifies what an evidence file holds: one alert (`veriterm upstream alerts --format json`
 * prints an array of them; the HTTP feed a `{ status, data }` page or one alert), an array of
 * alerts, or bare evidence. One verdict per alert, in file order.
 */
export function verifyEvidenceText(text: string): AlertVerdict[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return [{ label: 'file', ok: false, records: [], problems: [`not JSON: ${(e as Error).message}`] }];
  }
  const data =
    (doc as { status?: unknown; data?: unknown })?.status === 'ok' ? (doc as { data: unknown }).data : doc;
  const items: unknown[] = Array.isArray(data)
    ? data
    : Array.isArray((data as { alerts?: unknown })?.alerts)
      ? (data as { alerts: unknown[] }).alerts
      : [data];
  if (items.length === 0)
    return [{ label: 'file', ok: false, records: [], problems: ['the file holds no alert'] }];
  return items.map((item, i) =>
    isAlert(item)
      ? { label: `alert ${String(item.id)}`, ...verifyAlert(item) }
      : { label: `evidence ${i + 1}`, ...verifyEvidence(item as Evidence) },
  );
}
