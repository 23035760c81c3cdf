/**
 * Wire types of the checkout API (/api/v1/sales, /api/v1/returns, /api/v1/checkout/check), shared by
 * the terminal and kiosk-ui/src/checkout. Type-only: nothing here pulls server code into the page.
 */
import type { Verdict } from '../verify/types.js';
import type { LineOutcome, RefusedLine, RefusedReturnLine, ReturnView, SaleView } from './checkout-types.js';

export type { LineOutcome, RefusedLine, RefusedReturnLine, ReturnView, SaleView };

/** Someone with the manager role approving at the lane: their PIN, or a token they signed in with. */
export type ApprovalInput = { user: string; pin: string } | { token: string };

export interface SaleRequest {
  /** The caller's id for this sale; retrying with it returns the same sale. */
  externalRef?: string;
  lines: { data: string; override?: { reason: string; approval: ApprovalInput } }[];
}

/** 201 body `data`. `replayed` is true when externalRef matched an earlier sale. */
export type SaleResponse = SaleView & { replayed: boolean };

/** 409 body `error` when lines were refused: one entry per refused line; nothing was written off. */
export interface SaleRefusedError {
  code: 'lines_refused';
  message: string;
  refused: RefusedLine[];
}

export interface ReturnRequest {
  externalRef?: string;
  saleId?: string;
  reason?: string;
  lines: { data: string }[];
  /** Needed unless the caller is a manager. */
  approval?: ApprovalInput;
}

export type ReturnResponse = ReturnView & { replayed: boolean };

export interface ReturnRefusedError {
  code: 'lines_refused';
  message: string;
  refused: RefusedReturnLine[];
}

/**
 * POST /api/v1/checkout/check → the verdict for one basket line, with the line decision the sale
 * will make (terminal/lanes/line-decision.ts: one function for both, so they cannot disagree).
 */
export type CheckResponse = Pick<
  Verdict,
  'verdict' | 'reason' | 'product' | 'sold' | 'mismatch' | 'checkedAt'
> & {
  codeKey?: string;
  codeTail?: string;
  /** `sellable`: the sale takes it as it is; `overridable`: only on a supervisor's approval; `refused`: never. */
  decision: LineOutcome;
  /** `decision === 'sellable'`. */
  sellable: boolean;
  /** `decision === 'overridable'` (only `unverifiable` lines, e.g. product-only codes). */
  overridable: boolean;
  /** A product-only code (EAN/GTIN without a serial): sold on approval, it writes nothing off. */
  productOnly?: true;
  /** Why, in English, for a cashier or a POS log. */
  message: string;
};
