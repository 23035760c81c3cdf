/**
 * Wire types shared by the terminal's HTTP/WebSocket API and kiosk-ui (type-only: the browser
 * bundle imports nothing else from the server). Every response is `ApiOk<T>` or `ApiError`.
 */
import type { HealthEntry, HealthSnapshot } from '../health/health-model.js';
import type { Reason, ReasonCode } from '../health/reason-codes.js';
import type { HealthLevel } from '../health/types.js';
import type { Verdict, VerdictKind } from '../verify/types.js';
import type { Role } from './auth/roles.js';

export type { HealthEntry, HealthLevel, HealthSnapshot, Reason, ReasonCode, Role, Verdict, VerdictKind };

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
  | WsErrorMessage;

/**
 * Page → server on /api/v1/ws: a scan read in the browser (keyboard wedge or typed), verified like
 * POST /api/v1/verify but without an HTTP round trip per scan; answered with a `verdict` carrying
 * `replyTo: id`, or an `error` with the same id.
 */
export type WsClientMessage = { type: 'scan'; id: number; data: string; source: 'wedge' | 'manual' };
export type WsErrorMessage = { type: 'error'; replyTo?: number; error: { code: string; message: string } };
