/**
 * Wire types of the stock API (terminal/http/routes/stock-routes.ts, docs/stock.md), shared by the
 * terminal and kiosk-ui/src/stock. Type-only: nothing here pulls server code into the page.
 */
import type { StockAdjustmentPayload, StocktakePayload, UnitKeysByProduct } from '../ledger/payloads.js';
import type { StockOutKind, StockOutReason } from '../ledger/types.js';

export type { StockAdjustmentPayload, StocktakePayload, UnitKeysByProduct } from '../ledger/payloads.js';
export type { StockOutKind, StockOutReason, StocktakeBadReason } from '../ledger/types.js';

/** A stocktake or shipment session (GET /api/v1/stocktakes/:id, POST /api/v1/shipments). */
export interface StockSessionView {
  id: string;
  type: 'stocktake' | 'stock_out';
  state: 'open' | 'closed' | 'accepted' | 'cancelled';
  params: StocktakeParams | ShipmentParams;
  openedBy: string;
  openedAt: string;
  closedAt: string | null;
  recordId: string | null;
  acceptedRecordId: string | null;
}

export interface StocktakeParams {
  scope: 'all' | string[];
}

export interface ShipmentParams {
  kind: StockOutKind;
  reason: StockOutReason;
  note?: string;
  supplierId?: string;
  toStoreId?: string;
}

/** A shipment with the units scanned so far (GET /api/v1/shipments/:id). */
export interface ShipmentView extends StockSessionView {
  units: UnitKeysByProduct;
}

/** The answer to one scan in a stocktake or a shipment (…/scans, …/removals). */
export interface StockScanAnswerView {
  ok: boolean;
  result:
    | 'found'
    | 'extra'
    | 'added'
    | 'removed'
    | 'already_scanned'
    | 'refused'
    | 'unreadable'
    | 'session_closed';
  target: 'pallet' | 'case' | 'unit' | 'unknown';
  key: string;
  /** The unit's stock state (terminal/receiving/stock.ts UnitStockState). */
  state?: string;
  /** Units this scan counted (a container's contents) or added. */
  units: number;
  problems: { code: string; key: string; message: string }[];
}

/** A stocktake's differences now (GET …/report): the `stocktake` record's payload. */
export type StocktakeReportView = StocktakePayload;

/** POST …/close answers the signed record; the page needs its id. */
export interface StockRecordView {
  id: string;
  seq: number;
  at: string;
}

/** POST /api/v1/stocktakes/:id/accept. */
export interface AcceptView {
  record: StockRecordView;
  skipped: { key: string; code: string }[];
}

/** GET /api/v1/stocktakes/:id/records: the signed records of a closed (and accepted) stocktake. */
export interface StocktakeRecordsView {
  stocktake?: StocktakePayload;
  adjustment?: StockAdjustmentPayload;
}

/** GET /api/v1/stock: one row per product (terminal/receiving/stock.ts ProductStock). */
export interface ProductStockView {
  productKey: string;
  received: number;
  /** Entered stock by a stocktake adjustment without being received here. */
  foundIn: number;
  sold: number;
  returnedToSupplier: number;
  transferred: number;
  destroyed: number;
  /** Written off by a stocktake adjustment (missing on the shelf). */
  lost: number;
  onHand: number;
}
