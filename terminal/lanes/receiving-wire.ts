/**
 * Wire types of the receiving API (/api/v1/receiving/…), shared by the terminal and
 * kiosk-ui/src/receiving. Type-only: nothing here pulls server code into the page.
 */

import type { ScanAnswer } from '../receiving/scan-answer.js';

export type { ScanAnswer, ScanProblem, ScanProblemCode } from '../receiving/scan-answer.js';

/** Why the clerk puts something aside (terminal/receiving/checkin-service.ts PUT_ASIDE_REASONS). */
export type PutAsideReason = 'damaged' | 'recalled' | 'foreign' | 'expired' | 'other';

/** The big numbers on the page; a closed delivery answers the counts it closed with. */
export interface DeliveryCountsView {
  expected: number;
  received: number;
  missing: number;
  putAside: number;
  /** Codes scanned that are not on this note (foreign). */
  extra: number;
}

/** One delivery note in the list (GET /api/v1/receiving/deliveries). */
export interface DeliverySummary {
  deliveryId: string;
  supplier: { id: string; name: string };
  expectedArrival: string;
  importedAt: string;
  state: 'open' | 'closed';
  outcome: 'complete' | 'partial' | null;
  reason: string | null;
  closedAt: string | null;
  /** Units and containers the note lists. */
  units: number;
  containers: number;
  counts: DeliveryCountsView;
}

/** One exception line: a unit or container and what is wrong with it. */
export interface ReceivingException {
  key: string;
  /** `foreign`, `recalled`, `withdrawn`, `blocked`, `expired`, `already_sold`, `not_in_registry`, `damaged`, `other`. */
  reason: string;
  /** Put aside (not stock), or only flagged so far. */
  putAside: boolean;
  at: string;
}

/** GET /api/v1/receiving/deliveries/:deliveryId: the delivery as the page shows it. */
export interface DeliveryView extends DeliverySummary {
  /** The latest exceptions, newest first (at most `EXCEPTION_LINES`); `exceptionsTotal` counts all. */
  exceptions: ReceivingException[];
  exceptionsTotal: number;
  receiptId: string | null;
}

/** POST …/scan, …/open-container, …/put-aside → what the scan did, and the delivery after it. */
export interface ReceivingStep {
  answer: ScanAnswer;
  delivery: DeliveryView;
}

/** POST …/scan and …/open-container. */
export interface ReceivingScanRequest {
  /** The raw scan, GS as U+001D. */
  data: string;
}

/** POST …/put-aside */
export interface PutAsideRequest {
  data: string;
  reason: PutAsideReason;
}

/** POST …/close: complete only when nothing is missing; partial needs a reason. */
export type CloseDeliveryRequest = { outcome: 'complete' } | { outcome: 'partial'; reason: string };

export interface CloseDeliveryResult {
  delivery: DeliveryView;
  /** The signed `receipt` ledger record that closed it. */
  receiptId: string;
  seq: number;
}

/** A label of the demo delivery the page offers to scan (empty outside the demo). */
export interface ReceivingDemoLabel {
  data: string;
  kind: 'pallet' | 'case' | 'unit' | 'foreign_case' | 'recalled_unit';
  label: { 'zh-CN': string; en: string };
}

/** Server → page on /api/v1/ws (cashier role and above): a delivery changed on some handheld. */
export interface ReceivingUpdate {
  deliveryId: string;
  state: 'open' | 'closed';
  counts: DeliveryCountsView;
}
