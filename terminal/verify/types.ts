import type { ParsedCode, ParseFailure } from '../codes/types.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from '../registry/types.js';

/** DESIGN.md verdicts. Kiosk and checkout see the same decision. */
export const VERDICT_KINDS = [
  'genuine',
  'already_sold',
  'recalled',
  'withdrawn',
  'stolen',
  'destroyed',
  'locked',
  'expired',
  'unknown',
  'malformed',
  'unverifiable',
] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

export interface CheckHistory {
  /** Checks of this code at this terminal before this one. */
  checksHere: number;
  firstCheckedAt?: string;
  lastCheckedAt?: string;
  /** Upstream's figure when the registry or upstream provides it. */
  upstreamChecks?: number;
}

export interface SoldInfo {
  where: 'here' | 'upstream';
  storeId: string;
  terminalId?: string;
  at: string;
  saleId?: string;
}

/**
 * Where the data printed in a unit's code disagree with the registered unit: the classic sign of a
 * cloned code (a real serial copied onto a pack from another batch). Each side is as read/registered:
 * `batch` compares AI 10 with the unit's batch number; `expiry` compares AI 17 (ISO, day 00 already
 * resolved to the month's last day, GS1 GenSpec §3.4.7) with the registered batch's expiry date.
 */
export interface CodeMismatch {
  batch?: { scanned: string; registered: string };
  expiry?: { scanned: string; registered: string };
}

/**
 * A splittable product's pack (拆零) as this terminal's ledger has it: `remaining` of
 * `packQuantity` parts of `unit` on hand (an opened pack: fewer than `packQuantity`; 0 once the
 * pack is written off).
 */
export interface SplitState {
  packQuantity: number;
  unit: string;
  remaining: number;
}

/**
 * A unit this store checked in (terminal/receiving), as the kiosk shows it: "received by this store
 * on … from …". Only what an anonymous shopper may see (docs/receiving.md, "Verdicts use it"): the
 * supplier's name and the day, never the delivery id or what is merely expected or put aside.
 */
export interface ReceivedInfo {
  /** The supplier's name on the delivery note. */
  supplier: string;
  /** When the delivery was closed (ISO); absent while it is still being checked in. */
  at?: string;
}

/** A unit's move out of this store's stock (terminal/stock `stock_moves`) and the record's sequence. */
export interface LeftStock {
  move: 'destroyed' | 'transferred' | 'returned_to_supplier' | 'lost';
  seq: number;
}

export interface Verdict {
  verdict: VerdictKind;
  /** Machine reason, e.g. `registry_stale`, `no_serial`, `product_not_covered`, `batch_recalled`. */
  reason: string;
  /** Whether checkout may sell it without an override. */
  sellable: boolean;
  code?: ParsedCode;
  parseError?: ParseFailure['error'];
  unit?: RegistryUnit;
  product?: RegistryProduct;
  batch?: RegistryBatch;
  sold?: SoldInfo;
  /**
   * Set whenever the code's batch or expiry disagree with the registered unit, whatever the
   * verdict (a recall or an earlier sale may take precedence, the evidence stays): see
   * docs/verification.md.
   */
  mismatch?: CodeMismatch;
  /**
   * Set for a splittable product's pack opened here (parts sold, not all returned): the kiosk
   * says "opened pack, n of N left" for a pack still on hand.
   */
  split?: SplitState;
  /**
   * Set when `receiving.mode` is `warn` or `enforce` and this store checked the unit in; its absence
   * on a unit code then means "not received here" (checkout flags `not_received`).
   */
  received?: ReceivedInfo;
  /**
   * Set when this store's own stock says the unit left it (destroyed, transferred, returned to
   * the supplier, written off as lost): checkout refuses the line (`destroyed_here`, `shipped_out`,
   * `lost_here`) without a clone alert, before upstream's registry delta says anything.
   */
  leftStock?: LeftStock;
  history: CheckHistory;
  /** ISO time of this check. */
  checkedAt: string;
}
