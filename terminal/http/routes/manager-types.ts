/**
 * Wire types of the manager API (GET /api/v1/manager/…), type-only, shared with kiosk-ui/src/manager.
 */
import type { HealthSnapshot } from '../../health/types.js';

export interface ManagerAlert {
  id: string;
  seq: number;
  at: string;
  kind: string;
  /** The alert's payload (code, where/when sold, note, …). */
  details: Record<string, unknown>;
}

export interface ManagerEvent {
  at: string;
  kind: 'check' | 'record';
  /** Verdict for a check, record type for a record. */
  what: string;
  /** The event in English (source, code and reason; record seq and id): the fallback text. */
  detail: string;
  /** A check's machine reason (terminal/verify/reasons.ts VERDICT_REASONS). */
  reason?: string;
  /** Where a check came from (`kiosk`, `checkout`, `wedge`, `manual`, `api`, …) and its scanner. */
  source?: string;
  deviceId?: string;
  /** A check's canonical code key, when it could be read. */
  key?: string;
  /** A record's ledger sequence number. */
  seq?: number;
}

export interface ManagerReceipt {
  id: string;
  kind: string;
  state: string;
  createdAt?: string;
  ref?: string;
}

export interface ManagerOverview {
  storeId: string;
  terminalId: string;
  health: HealthSnapshot;
  registry: {
    scope: string;
    version: number;
    asOf: string;
    expires: string;
    units: number;
    contentHash: string;
    ageMs: number;
    maxAgeMs: number;
  } | null;
  upstream: {
    link: 'up' | 'down';
    backlog: number;
    lastAckAt?: string;
    oldestPendingAt?: string;
  } | null;
  alerts: ManagerAlert[];
  events: ManagerEvent[];
  receipts: ManagerReceipt[];
}

export interface ManagerCharts {
  /** `YYYY-MM-DDTHH` (UTC), oldest first, one per hour of the window. */
  hours: string[];
  checks: Record<string, number[]>;
  sales: number[];
}
