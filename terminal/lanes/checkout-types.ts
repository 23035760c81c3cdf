import type { Ledger } from '../ledger/ledger.js';
import type { Approval, SaleLinePayload } from '../ledger/payloads.js';
import type { Logger } from '../logger.js';
import type { CodeMismatch, Verdict, VerdictKind } from '../verify/types.js';
import type { SaleReceiptDocument } from './checkout-receipt.js';

/** The slice of the Verifier (terminal/verify) checkout uses: kiosk and checkout share the policy. */
export interface LineVerifier {
  verify(
    data: string,
    options?: { source?: string; record?: boolean; history?: boolean; deviceId?: string },
  ): Verdict;
  /** `verify` for a whole basket at one moment (shared reads). */
  verifyMany(
    data: readonly string[],
    options?: { source?: string; record?: boolean; history?: boolean },
  ): Verdict[];
  /** The canonical key of a scan (parse only), for comparing an idempotent retry's lines. */
  keyOf(data: string): string | undefined;
}

/**
 * Where a completed sale's receipt goes: the durable print queue (terminal/printing). Called only
 * after the sale is committed; a failure here never undoes the sale (the receipt can be reprinted).
 */
export interface ReceiptSink {
  enqueue(document: SaleReceiptDocument, meta: { saleId: string; kind: 'sale' | 'return' }): unknown;
}

export interface CheckoutConfig {
  /** Days after the write-off within which a return may re-activate a code (FMD Art. 13). @default 10 */
  returnWindowDays?: number;
  /** IANA zone whose calendar day decides expiry on returns. @default the system zone */
  timeZone?: string;
  /** Most lines in one sale. @default 200 */
  maxLines?: number;
  /** Printed at the top of receipts. @default the store id */
  storeName?: string;
}

export interface CheckoutDeps {
  ledger: Ledger;
  verifier: LineVerifier;
  receipts?: ReceiptSink;
  logger?: Logger;
  clock?: () => Date;
  config?: CheckoutConfig;
}

export interface SaleLineInput {
  /** Raw scan, as the scanner or the POS sent it. */
  data: string;
  /**
   * A supervisor's authority to sell an `unverifiable` line (never any other verdict); see
   * terminal/lanes/line-decision.ts.
   */
  override?: Approval;
}

export interface SaleInput {
  /** The caller's id for this sale; a retry with the same id returns the same sale. */
  externalRef?: string;
  cashier?: string;
  lines: SaleLineInput[];
}

/** What a basket line comes to: taken as it is, taken only on a supervisor's approval, or never. */
export type LineOutcome = 'sellable' | 'overridable' | 'refused';

/** Why one line cannot be sold. */
export interface RefusedLine {
  line: number;
  codeKey?: string;
  verdict: VerdictKind;
  /** Machine reason: the verdict's reason, or `duplicate_line`, `sold_concurrently`. */
  reason: string;
  /** The code's batch/expiry against the registered unit's, when they disagree. */
  mismatch?: CodeMismatch;
  message: string;
  /** Whether a supervisor may override it (only `unverifiable`). */
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

export type SaleOutcome =
  | { ok: true; replayed: boolean; sale: SaleView }
  | { ok: false; code: 'lines_refused'; message: string; refused: RefusedLine[]; alertIds: string[] }
  | { ok: false; code: 'idempotency_conflict' | 'invalid_sale'; message: string };

export interface ReturnInput {
  externalRef?: string;
  /** The manager who approved (authenticated by the caller, e.g. manager PIN). */
  approvedBy: string;
  reason?: string;
  /** When given, every code must belong to this sale. */
  saleId?: string;
  lines: { data: string }[];
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
  lines: { codeKey: string; saleId: string; writeOffId: string; writeOffSeq: number }[];
}

export type ReturnOutcome =
  | { ok: true; replayed: boolean; return: ReturnView }
  | { ok: false; code: 'lines_refused'; message: string; refused: RefusedReturnLine[] }
  | { ok: false; code: 'idempotency_conflict' | 'invalid_return' | 'approval_required'; message: string };
