import type { CodeMismatch, VerdictKind } from '../verify/types.js';

/**
 * `clone`: a sold code met again; `unknown_code`: a covered product's code not in the registry;
 * `code_mismatch`: a registered code whose batch/expiry disagree with the unit (payload `mismatch`);
 * `suspicious_report`: a shopper's report from the kiosk; `sync_gap`: records missing upstream;
 * `ledger_recovered`: the first record of a ledger rebuilt by `veriterm ledger recover`;
 * `diversion`: a unit sold here that this store never checked in (receiving.mode warn|enforce).
 */
export const ALERT_KINDS = [
  'clone',
  'unknown_code',
  'code_mismatch',
  'suspicious_report',
  'sync_gap',
  'ledger_recovered',
  'diversion',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * Why a unit or container on a goods receipt (`receipt` record, terminal/receiving) is an
 * exception: `foreign` not on the delivery note; registry states `recalled`, `withdrawn`,
 * `blocked` (stolen, destroyed, locked), `expired`, `already_sold` (sold here or upstream),
 * `not_in_registry`; clerk's reasons `damaged`, `other`.
 */
export const RECEIPT_EXCEPTION_REASONS = [
  'foreign',
  'recalled',
  'withdrawn',
  'blocked',
  'expired',
  'already_sold',
  'not_in_registry',
  'damaged',
  'other',
] as const;
export type ReceiptExceptionReason = (typeof RECEIPT_EXCEPTION_REASONS)[number];

/**
 * How units leave stock other than by a sale (a `stock_out` record, terminal/stock): back to the
 * supplier, to another store of the chain (which receives them with a transfer note), or destroyed.
 */
export const STOCK_OUT_KINDS = ['return_to_supplier', 'transfer', 'destruction'] as const;
export type StockOutKind = (typeof STOCK_OUT_KINDS)[number];

/** Why units leave stock: the record's `reason`; `other` needs a `note`. */
export const STOCK_OUT_REASONS = [
  'expired',
  'damaged',
  'recalled',
  'overstock',
  'wrong_delivery',
  'rebalance',
  'other',
] as const;
export type StockOutReason = (typeof STOCK_OUT_REASONS)[number];

/** What is wrong with a unit found on the shelf at a stocktake (the registry's facts). */
export const STOCKTAKE_BAD_REASONS = [
  'recalled',
  'withdrawn',
  'blocked',
  'expired',
  'not_in_registry',
] as const;
export type StocktakeBadReason = (typeof STOCKTAKE_BAD_REASONS)[number];

/**
 * Payloads of the record types the ledger itself interprets (its projections read them).
 * All fields are JSON; optional fields are left out of the canonical form when undefined.
 */

/** Who approved a supervisor override or a return, and why (recorded, never a PIN). */
export interface Approval {
  by: string;
  reason: string;
}

export interface SaleLinePayload {
  codeKey: string;
  /** Last characters of the code, as printed on the receipt. */
  codeTail: string;
  productKey?: string;
  productName?: { 'zh-CN': string; en: string };
  verdict: VerdictKind;
  reason: string;
  /**
   * Only for lines sold on a supervisor's authority: `unverifiable`, or `not_received` under
   * receiving.mode enforce.
   */
  override?: Approval;
  /** `not_received`: this store never checked the unit in (receiving.mode warn or enforce). */
  flag?: 'not_received';
  /**
   * A product-only code (EAN/UPC or GTIN without a serial; `codeKey` is then the product key):
   * the line names a product, not a unit, so it has no write-off (DESIGN.md "Verdicts").
   */
  productOnly?: true;
  /**
   * A split-pack line (拆零): `quantity` of the pack's `packQuantity` parts of `unit` sold under
   * `codeKey`. Only the line that sells the last part has a write-off; the parts sold so far
   * are the projection `ledger_split_parts` (terminal/ledger/split-parts.ts).
   */
  part?: SalePart;
}

/** The part of a splittable pack one sale line sells (registry product `split`). */
export interface SalePart {
  quantity: number;
  packQuantity: number;
  unit: string;
}

export interface SalePayload {
  externalRef?: string;
  cashier?: string;
  lines: SaleLinePayload[];
  [key: string]: unknown;
}

/** One per sold unit code (never for a `productOnly` line), in the same transaction as its sale. */
export interface WriteOffPayload {
  codeKey: string;
  saleId: string;
  /** 0-based index of the line in the sale. */
  line: number;
  [key: string]: unknown;
}

export interface ReturnLinePayload {
  codeKey: string;
  saleId: string;
  /** The write-off taken back; absent only for the part of a pack still open (`part` alone). */
  writeOffId?: string;
  writeOffSeq?: number;
  /** The split-pack sale line taken back: its sale record's seq, line index and quantity. */
  part?: ReturnedPart;
}

/** A split-pack sale line a return takes back (its parts are on hand again). */
export interface ReturnedPart {
  saleSeq: number;
  line: number;
  quantity: number;
}

/** Re-activates the listed write-offs; the write-off records themselves stay. */
export interface ReturnPayload {
  externalRef?: string;
  approvedBy: string;
  reason?: string;
  lines: ReturnLinePayload[];
  [key: string]: unknown;
}

/** Context of a previous write-off, for clone alerts. */
export interface SoldContext {
  where: 'here' | 'upstream';
  storeId: string;
  terminalId?: string;
  at: string;
  saleId?: string;
}

export interface AlertPayload {
  kind: AlertKind;
  codeKey?: string;
  verdict?: VerdictKind;
  /** The verdict's machine reason (e.g. `not_in_registry`, `batch_mismatch`). */
  reason?: string;
  note?: string;
  /** The code's batch/expiry against the registered unit's, when they disagree (any kind). */
  mismatch?: CodeMismatch;
  /** Clone alerts: the earlier sale of this code. */
  previous?: SoldContext;
  /** Clone/unknown/diversion alerts: the attempt that met it. */
  attempt?: { externalRef?: string; cashier?: string; at: string; storeId: string; terminalId: string };
  [key: string]: unknown;
}

export interface ReceiptPrintedPayload {
  saleId: string;
  jobId?: string;
  [key: string]: unknown;
}

/** Unit keys grouped by product: product key → the rest of each key (key = product key + rest). */
export type UnitKeysByProduct = Record<string, string[]>;

export interface ReceiptException {
  /** A unit key, or a container key (`00` + SSCC, or a case's GTIN + serial key). */
  key: string;
  reason: ReceiptExceptionReason;
  /** Put aside by the clerk: not stock. Without it the unit was only flagged. */
  putAside?: true;
}

/**
 * A delivery's goods receipt (核注), one per closed delivery (terminal/receiving): what was
 * accepted into stock, what is missing and every exception. `units` lists every accepted unit
 * (those under accepted containers too), so upstream learns each unit's arrival from this record
 * alone; `containers` names the containers checked in whole (a pallet's cases are not repeated).
 */
export interface ReceiptPayload {
  deliveryId: string;
  supplierId: string;
  outcome: 'complete' | 'partial';
  /** Why a partial delivery was closed (required for `partial`). */
  reason?: string;
  expectedUnits: number;
  containers: string[];
  units: UnitKeysByProduct;
  /** Expected but not checked in: whole containers, and units counted one by one. */
  missing: { containers: string[]; units: UnitKeysByProduct };
  exceptions: ReceiptException[];
  [key: string]: unknown;
}

/**
 * Units leaving stock (terminal/stock): one record per closed shipping-out session, listing every
 * unit (a scanned container is listed as its units, and by its key in `containers`). One record
 * type with a `kind`, not three: the three share every field and every check, and differ only in
 * the unit state they imply (docs/stock.md).
 */
export interface StockOutPayload {
  /** The session's id (a ULID made by the terminal): names the shipment on notes and exports. */
  shipmentId: string;
  kind: StockOutKind;
  reason: StockOutReason;
  /** Free text; required for reason `other`. */
  note?: string;
  /** The manager who closed the session. */
  approvedBy: string;
  /** return_to_supplier: the supplier the units go back to. */
  supplierId?: string;
  /** transfer: the store that receives the units. */
  toStoreId?: string;
  containers: string[];
  units: UnitKeysByProduct;
  [key: string]: unknown;
}

/** Units found on the shelf but not on hand, by why they are not. */
export interface StocktakeExtra {
  /** Never checked in here (or checked in and put aside). */
  notReceived: UnitKeysByProduct;
  /** Sold here (an active write-off): back on the shelf without a return. */
  sold: UnitKeysByProduct;
  /** Shipped out, destroyed or written off by an earlier adjustment. */
  leftStock: UnitKeysByProduct;
}

export interface StocktakeBadUnit {
  key: string;
  reason: StocktakeBadReason;
}

/**
 * A closed stocktake (盘点): the differences between the shelf and stock on hand in its scope.
 * Units found and on hand are only counted (`found`), not listed: the record stays small when
 * the shelf agrees. It changes no stock: a manager's `stock_adjustment` accepts differences.
 */
export interface StocktakePayload {
  stocktakeId: string;
  /** Every product, or the listed product keys only (a zone, a cycle count). */
  scope: 'all' | string[];
  startedAt: string;
  /** Units on hand in scope when it closed. */
  expected: number;
  /** Units scanned (containers count with their contents), found on hand. */
  found: number;
  missing: UnitKeysByProduct;
  extra: StocktakeExtra;
  bad: StocktakeBadUnit[];
  [key: string]: unknown;
}

/**
 * A manager's acceptance of stocktake differences: `out` leave stock (lost: missing on the shelf),
 * `in` come into stock (found on the shelf, never received or written off as lost earlier).
 */
export interface StockAdjustmentPayload {
  stocktakeId: string;
  approvedBy: string;
  reason: string;
  out: UnitKeysByProduct;
  in: UnitKeysByProduct;
  [key: string]: unknown;
}

/**
 * The payload type of every record type (record-decoders.ts has one decoder per entry): a type
 * added to RECORD_TYPES without its payload here does not compile there.
 */
export interface RecordPayloads {
  sale: SalePayload;
  write_off: WriteOffPayload;
  return: ReturnPayload;
  alert: AlertPayload;
  receipt_printed: ReceiptPrintedPayload;
  receipt: ReceiptPayload;
  stocktake: StocktakePayload;
  stock_out: StockOutPayload;
  stock_adjustment: StockAdjustmentPayload;
}
