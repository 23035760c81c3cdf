import type { Evidence } from './evidence.js';

/**
 * Kinds in the enforcement feed. From terminals' own alert records: `clone` (a sold code met again
 * at a checkout), `unknown_code`, `code_mismatch`, `suspicious_report` (a shopper's report at a
 * kiosk), `diversion` (sold where it was never checked in). Raised upstream at ingest: `clone` (one
 * unit written off twice, e.g. offline at two stores), `conflict` (a forked chain: two records of a
 * terminal at one seq), `gap`, `bad_chain`, `bad_hash`, `bad_signature`, `revoked_terminal`.
 */
export const TERMINAL_FEED_KINDS = [
  'clone',
  'unknown_code',
  'code_mismatch',
  'suspicious_report',
  'diversion',
] as const;
export const UPSTREAM_FEED_KINDS = [
  'clone',
  'conflict',
  'gap',
  'bad_chain',
  'bad_hash',
  'bad_signature',
  'revoked_terminal',
] as const;
export const FEED_KINDS = [...new Set([...TERMINAL_FEED_KINDS, ...UPSTREAM_FEED_KINDS])] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** One alert of the feed: what a case file needs, with the evidence to check offline. */
export interface FeedAlert {
  /** Increasing in detection order: the feed's paging cursor. */
  id: number;
  kind: string;
  /** `upstream`: found at ingest; `terminal`: the terminal's own signed alert record. */
  source: 'upstream' | 'terminal';
  /** Upstream's clock when it was found (ISO, UTC). */
  detectedAt: string;
  /** The terminal's clock on the record the alert is about. */
  at: string;
  storeId: string;
  terminalId: string;
  /** The record the alert is about (0 when none). */
  seq: number;
  /** Every store involved (a clone: the later sale's store, then the earlier's). */
  stores: string[];
  /** Every terminal involved, as `store/terminal`. */
  terminals: string[];
  codes: string[];
  products: string[];
  message: string;
  evidence: Evidence;
}

/**
 * The registry product key of a unit key: the 7-digit product resource code of a 20-digit
 * supervision code, `01` + GTIN-14 of a GS1 key (terminal/codes/product-key.ts); '' otherwise.
 */
export function productOfKey(key: string): string {
  if (/^\d{20}$/.test(key)) return key.slice(0, 7);
  if (/^01\d{14}/.test(key)) return key.slice(0, 16);
  return '';
}
