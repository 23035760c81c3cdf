/**
 * What the rest of the terminal sees of the registry. The registry module implements
 * `RegistryReader`; verification, checkout and sync depend only on this.
 */

/** Unit status per DOMAIN.md ("expired" and "unknown" are derived, never stored). */
export type UnitStatus =
  | 'active'
  | 'received'
  | 'sold'
  | 'recalled'
  | 'withdrawn'
  | 'stolen'
  | 'destroyed'
  | 'locked';

export interface RegistryProduct {
  /** Product key: `01`+GTIN-14 for GS1 products, the 7-digit product resource code for cn20. */
  key: string;
  names: { 'zh-CN': string; en: string };
  manufacturer: string;
  spec?: string;
  /** Whether this product's units are covered by the registry (if not: `unverifiable`). */
  covered: boolean;
  /** Withdrawn products make every unit `withdrawn`. */
  withdrawn?: boolean;
  /**
   * A pack sold in parts (拆零, EU FMD Art. 28 partial packs): `packQuantity` parts of `unit`
   * (e.g. 10 `strip`) under one code. Absent: the pack is only ever sold whole.
   */
  split?: SplitPack;
}

/** How a splittable product's pack divides: `packQuantity` (2–10,000) parts of `unit`. */
export interface SplitPack {
  packQuantity: number;
  /** What one part is called, a lower-case token (`strip`, `tablet`, `sachet`); pages translate it. */
  unit: string;
}

export interface RegistryBatch {
  productKey: string;
  number: string;
  productionDate?: string;
  expiryDate?: string;
  recalled: boolean;
  recallReason?: string;
}

export interface RegistryUnit {
  key: string;
  status: UnitStatus;
  productKey: string;
  batchNumber?: string;
  /** Where/when it was sold, when upstream reported the write-off (status `sold`). */
  soldAt?: { store: string; at: string };
  /** Upstream's check count for this code, when the registry carries it. */
  upstreamChecks?: number;
}

export interface LookupResult {
  unit?: RegistryUnit;
  product?: RegistryProduct;
  batch?: RegistryBatch;
}

export interface RegistryState {
  scope: string;
  version: number;
  /** When the publisher built this version (ISO). Age is measured from here. */
  asOf: string;
  /** Signed metadata expiry (ISO): past it, verdicts become `unverifiable`. */
  expires: string;
  units: number;
  contentHash: string;
}

export interface RegistryReader {
  /** Unit, product and batch for a canonical unit key (or a product key for gtin-only scans). */
  lookup(key: string): LookupResult;
  lookupProduct(productKey: string): RegistryProduct | undefined;
  /** undefined when no registry has been imported yet. */
  state(): RegistryState | undefined;
  /** Runs several reads against one snapshot, cheaper than one by one (optional). */
  reading?<T>(fn: () => T): T;
}
