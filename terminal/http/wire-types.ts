/**
 * The wire types: the one module kiosk-ui imports from the server (type-only), holding or
 * re-exporting every shape the terminal's HTTP/WebSocket API sends and takes. Every response is
 * `ApiOk<T>` or `ApiError`. This file and everything it imports are plain types and constant
 * lists: no store, service, framework or node-only module (test/unit/cli/layering.test.ts checks).
 */
import type { HealthEntry, HealthLevel, HealthSnapshot } from '../health/types.js';
import type { ReceivingUpdate } from '../lanes/receiving-wire.js';
import type { Verdict, VerdictKind } from '../verify/types.js';
import type { Role } from './auth/roles.js';

export type { Reason, ReasonCode } from '../health/reason-codes.js';
export type { HealthEntry, HealthLevel, HealthSnapshot } from '../health/types.js';
/** Checkout API (/api/v1/sales, /api/v1/returns, /api/v1/checkout/check). */
export type * from '../lanes/checkout-wire.js';
/** Receiving API (/api/v1/receiving/…). */
export type * from '../lanes/receiving-wire.js';
export type { SoldContext } from '../ledger/payloads.js';
export type { AlertKind, RecordType } from '../ledger/types.js';
export type { PrintJobKind, PrintJobState } from '../printing/job-states.js';
/** Manager page API (/api/v1/manager/…). */
export type * from '../receiving/overview-types.js';
/** Stock API (/api/v1/stock, /api/v1/stocktakes/…, /api/v1/shipments/…). */
export type * from '../stock/stock-wire.js';
export type { VerdictReason } from '../verify/reasons.js';
export type { Verdict, VerdictKind } from '../verify/types.js';
export type { Role } from './auth/roles.js';
export type * from './routes/manager-types.js';

export interface ApiOk<T> {
  status: 'ok';
  data: T;
}
export interface ApiError {
  status: 'error';
  error: { code: string; message: string };
}
export type ApiResponse<T> = ApiOk<T> | ApiError;

/** POST /api/v1/verify → `data`. `checkId` identifies the check for a report. */
export type VerifyResult = Verdict & { checkId: number };

export interface VerifyRequest {
  /** The raw scan, GS as U+001D. */
  data: string;
  /** `wedge` (browser keyboard-wedge capture) or `manual` (typed); for the query log. @default 'api' */
  source?: 'wedge' | 'manual' | 'api';
}

/** POST /api/v1/reports */
export interface ReportRequest {
  checkId: number;
  note?: string;
}
export interface ReportResult {
  reportId: string;
  seq: number;
  /** True when this check had been reported before (the same record is returned). */
  duplicate: boolean;
}

/** A sample code offered on the page in demo mode. */
export interface DemoSample {
  data: string;
  /** The verdict it is expected to produce. */
  expect: VerdictKind;
  label: { 'zh-CN': string; en: string };
}

/** GET /api/v1/kiosk/settings */
export interface KioskSettings {
  defaultLocale: 'zh-CN' | 'en';
  hotline: string;
  idleTimeoutMs: number;
  storeId: string;
  terminalId: string;
  demo: boolean;
  samples: DemoSample[];
  wedge: { maxGapMs: number; minLength: number; gsSubstitute?: string };
}

/**
 * GET /api/v1/health: kiosk callers see levels only; cashier/manager see reasons (`code` + `params`
 * for the page to translate, `reason` in English) and details.
 */
export type HealthView =
  | HealthSnapshot
  | { level: HealthLevel; at: string; items: { component: string; level: HealthLevel }[] };

/** POST /api/v1/auth/sign-in */
export interface SignInRequest {
  user: string;
  pin: string;
}
export interface SignInResponse {
  token: string;
  role: Role;
  name: string;
  expiresAt: string;
}

/** Server → page pushes on /api/v1/ws. */
export type WsMessage =
  | { type: 'hello'; data: { role: Role; serverTime: string } }
  | {
      type: 'verdict';
      /** Which lane's scanner produced it; the kiosk page shows only `kiosk`. */
      lane: 'kiosk' | 'checkout';
      data: VerifyResult;
      scan: { deviceId: string; receivedAt: number };
      /** Set when this verdict answers a page's own `scan` message (only that page gets it). */
      replyTo?: number;
    }
  | { type: 'health'; data: HealthEntry }
  /** A delivery's counts changed (cashier role and above). */
  | { type: 'receiving'; data: ReceivingUpdate }
  | WsErrorMessage;

/**
 * Page → server on /api/v1/ws: a scan read in the browser (keyboard wedge or typed), verified like
 * POST /api/v1/verify but without an HTTP round trip per scan; answered with a `verdict` carrying
 * `replyTo: id`, or an `error` with the same id.
 */
export type WsClientMessage = { type: 'scan'; id: number; data: string; source: 'wedge' | 'manual' };
export type WsErrorMessage = { type: 'error'; replyTo?: number; error: { code: string; message: string } };
