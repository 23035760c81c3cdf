import type { ParsedCode } from '../codes/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Approval } from '../ledger/payloads.js';
import type { Logger } from '../logger.js';
import type { ReceivingMode } from '../receiving/options.js';
import type { Verdict } from '../verify/types.js';
import type { SaleReceiptDocument } from './checkout-receipt.js';
import type { LineOutcome, RefusedLine, RefusedReturnLine, ReturnView, SaleView } from './checkout-wire.js';

// The shapes the API sends (lines, refusals, views) are defined with the wire types; re-exported here.
export type { LineOutcome, RefusedLine, RefusedReturnLine, ReturnView, SaleView };

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

/**
 * `receiving.mode` and, for the `diversion` alert of a flagged line, why receiving does not count
 * the unit as stock (docs/receiving.md, "Verdicts use it"). The verifier must be built with the
 * same mode: it marks units received here (`Verdict.received`), which is what the flag reads.
 */
export interface CheckoutReceiving {
  mode: ReceivingMode;
  /** `not_received` (on no note here), `expected` (not checked in) or `put_aside`. */
  stateOf?: (code: ParsedCode) => string;
}

export interface CheckoutDeps {
  ledger: Ledger;
  verifier: LineVerifier;
  /** @default mode `off`: no line is ever flagged */
  receiving?: CheckoutReceiving;
  receipts?: ReceiptSink;
  logger?: Logger;
  clock?: () => Date;
  config?: CheckoutConfig;
}

export interface SaleLineInput {
  /** Raw scan, as the scanner or the POS sent it. */
  data: string;
  /**
   * A supervisor's authority to sell an `unverifiable` line, or a `not_received` one under
   * receiving.mode enforce (never any other verdict); see terminal/lanes/line-decision.ts.
   */
  override?: Approval;
  /**
   * Split packs (拆零): the parts of a splittable product's pack this line sells. Without it the
   * line sells the whole pack, or what is left of an opened one (terminal/lanes/split-pack.ts).
   */
  quantity?: number;
}

export interface SaleInput {
  /** The caller's id for this sale; a retry with the same id returns the same sale. */
  externalRef?: string;
  cashier?: string;
  lines: SaleLineInput[];
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

export type ReturnOutcome =
  | { ok: true; replayed: boolean; return: ReturnView }
  | { ok: false; code: 'lines_refused'; message: string; refused: RefusedReturnLine[] }
  | { ok: false; code: 'idempotency_conflict' | 'invalid_return' | 'approval_required'; message: string };
