/**
 * Wire types of the checkout API (/api/v1/sales, /api/v1/returns, /api/v1/checkout/check), shared by
 * the terminal and kiosk-ui/src/checkout. Type-only: nothing here pulls server code into the page.
 */

import type { ReturnLinePayload, SaleLinePayload } from '../ledger/payloads.js';
import type { CodeMismatch, ReceivedInfo, SplitState, Verdict, VerdictKind } from '../verify/types.js';

/** What a basket line comes to: taken as it is, taken only on a supervisor's approval, or never. */
export type LineOutcome = 'sellable' | 'overridable' | 'refused';

/** Why one line cannot be sold. */
export interface RefusedLine {
  line: number;
  codeKey?: string;
  verdict: VerdictKind;
  /**
   * Machine reason: the verdict's reason, or `duplicate_line`, `sold_concurrently`; split packs:
   * `not_splittable` (a quantity on a product sold whole only), `exceeds_remaining` (more parts
   * than are left); `not_received` (receiving.mode enforce: never checked in here; a manager may
   * approve it).
   */
  reason: string;
  /** The code's batch/expiry against the registered unit's, when they disagree. */
  mismatch?: CodeMismatch;
  message: string;
  /** Whether a supervisor may override it (`unverifiable`, and `not_received` under enforce). */
  overridable: boolean;
}

export interface SaleView {
  saleId: string;
  seq: number;
  at: string;
  externalRef?: string;
  cashier?: string;
  lines: SaleLinePayload[];
  /** One per unit line, in line order; product-only lines (`productOnly`) have none. */
  writeOffs: { codeKey: string; recordId: string; seq: number }[];
}

export interface RefusedReturnLine {
  line: number;
  codeKey?: string;
  reason:
    | 'malformed'
    | 'product_only'
    | 'duplicate_line'
    | 'not_sold_here'
    | 'other_store'
    | 'not_in_sale'
    | 'window_passed'
    | 'recalled'
    | 'withdrawn'
    | 'stolen'
    | 'destroyed'
    | 'locked'
    | 'expired';
  message: string;
}

export interface ReturnView {
  returnId: string;
  seq: number;
  at: string;
  externalRef?: string;
  approvedBy: string;
  reason?: string;
  /** A split-pack line carries `part` (and the write-off only if it sold the pack's last part). */
  lines: ReturnLinePayload[];
}

/** Someone with the manager role approving at the lane: their PIN, or a token they signed in with. */
export type ApprovalInput = { user: string; pin: string } | { token: string };

export interface SaleRequest {
  /** The caller's id for this sale; retrying with it returns the same sale. */
  externalRef?: string;
  lines: {
    data: string;
    /**
     * Split packs (拆零): how many parts of a splittable product's pack this line sells (1 to the
     * parts left). Without it a line sells the whole pack, or what is left of an opened one.
     */
    quantity?: number;
    override?: { reason: string; approval: ApprovalInput };
  }[];
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
  /**
   * A splittable product's pack: its size and unit, and the parts left here (`remaining`); a line
   * may then carry a `quantity`.
   */
  split?: SplitState;
  /** A product-only code (EAN/GTIN without a serial): sold on approval, it writes nothing off. */
  productOnly?: true;
  /**
   * `not_received` (receiving.mode warn or enforce): this store never checked the unit in. Warn:
   * sellable with this note; enforce: `overridable` with reason `not_received`.
   */
  flag?: 'not_received';
  /** When and from whom this store received the unit (receiving.mode warn or enforce). */
  received?: ReceivedInfo;
  /** Why, in English, for a cashier or a POS log. */
  message: string;
};
