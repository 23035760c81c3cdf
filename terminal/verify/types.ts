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
  history: CheckHistory;
  /** ISO time of this check. */
  checkedAt: string;
}
