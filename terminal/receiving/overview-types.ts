/**
 * Wire types of the manager's receiving view (GET /api/v1/manager/receiving), type-only: re-exported
 * by terminal/http/wire-types.ts for kiosk-ui/src/manager.
 */

export interface ManagerStockProduct {
  productKey: string;
  /** The registry's names, when the product is in it. */
  names?: { 'zh-CN': string; en: string };
  received: number;
  sold: number;
  onHand: number;
}

export interface ManagerDeliveryCounts {
  expected: number;
  received: number;
  missing: number;
  putAside: number;
  /** Foreign codes scanned (not on this note). */
  extra: number;
}

export interface ManagerDelivery {
  deliveryId: string;
  supplier: string;
  expectedArrival: string;
  state: 'open' | 'closed';
  outcome?: 'complete' | 'partial';
  closedAt?: string;
  counts: ManagerDeliveryCounts;
}

/** An exception of a recent delivery (docs/receiving.md, "Check-in"): flagged or put aside. */
export interface ManagerReceivingException {
  deliveryId: string;
  /** Unit or container key. */
  key: string;
  /** `foreign`, `recalled`, `damaged`, … (RECEIPT_EXCEPTION_REASONS). */
  reason: string;
  putAside: boolean;
  at: string;
}

/** A `diversion` alert: a unit sold (or refused) at checkout that this store never checked in. */
export interface ManagerDiversion {
  seq: number;
  at: string;
  codeKey: string;
  /** Why receiving does not count it: `not_received`, `expected` or `put_aside`. */
  state: string;
  /** What became of it (sold with a note, sold on an approval, refused). */
  note: string;
  cashier?: string;
}

export interface ManagerReceiving {
  /** `receiving.mode` of this terminal. */
  mode: 'off' | 'warn' | 'enforce';
  stock: {
    products: number;
    received: number;
    sold: number;
    onHand: number;
    /** The products with most units on hand (at most 10). */
    top: ManagerStockProduct[];
  };
  /** Open deliveries, then the most recently closed (at most 5). */
  deliveries: ManagerDelivery[];
  discrepancies: {
    /** Exceptions of the 10 most recent deliveries, newest first (at most 50). */
    exceptions: ManagerReceivingException[];
    /** The most recent diversion alerts (at most 20). */
    diversions: ManagerDiversion[];
  };
}
