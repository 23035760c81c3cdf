import type { RecordAppender } from '../ledger/types.js';
import type { QueryLog } from '../verify/query-log.js';

export type ReportOutcome =
  | { ok: true; reportId: string; seq: number; duplicate: boolean }
  | { ok: false; code: 'unknown_check' | 'alerts_unavailable'; message: string };

/**
 * "Report suspicious pack" from the kiosk: files an `alert` record (kind `suspicious_report`) with
 * the code, the verdict the shopper saw, when, and an optional note. The ledger makes it durable
 * and sync carries it upstream. The report names a check id, so the record carries the verdict
 * the terminal actually gave, not one the page claims. One record per check.
 */
export class KioskReports {
  readonly #deps: {
    queryLog: QueryLog;
    alerts: RecordAppender | undefined;
    clock?: () => Date;
    storeId: string;
  };

  constructor(deps: {
    queryLog: QueryLog;
    alerts: RecordAppender | undefined;
    clock?: () => Date;
    storeId: string;
  }) {
    this.#deps = deps;
  }

  report(checkId: number, note: string | undefined): ReportOutcome {
    const { queryLog, alerts } = this.#deps;
    const check = queryLog.get(checkId);
    if (!check) return { ok: false, code: 'unknown_check', message: `No check with id ${checkId}` };
    const before = queryLog.reportOf(checkId);
    if (before) return { ok: true, reportId: before.recordId, seq: before.seq, duplicate: true };
    if (!alerts)
      return { ok: false, code: 'alerts_unavailable', message: 'This terminal has no ledger for reports' };
    const at = (this.#deps.clock ?? (() => new Date()))().toISOString();
    const record = alerts.append('alert', {
      kind: 'suspicious_report',
      key: check.key ?? null,
      verdict: check.verdict,
      reason: check.reason,
      checkedAt: check.checkedAt,
      checkId,
      source: check.source,
      ...(note ? { note } : {}),
      reportedAt: at,
    });
    queryLog.saveReport(checkId, record.id, record.seq, at);
    return { ok: true, reportId: record.id, seq: record.seq, duplicate: false };
  }
}
