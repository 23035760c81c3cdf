import { monotonicFactory } from 'ulid';
import { VeritermError } from '../errors.js';
import type { UnitKeysByProduct } from '../ledger/payloads.js';
import type { LedgerRecord, RecordType } from '../ledger/types.js';
import { readSscc } from '../receiving/sscc.js';
import type { UnitStockState } from '../receiving/stock.js';
import { unitKeyOf } from '../receiving/unit-key.js';
import type { RegistryReader } from '../registry/types.js';
import type { SessionRow, SessionType, StockStore } from './stock-store.js';

/** What stock operations need of the ledger (on the same connection as the store). */
export interface StockLedger {
  transaction<T>(fn: () => T): T;
  append<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P>;
  record(id: string): LedgerRecord | undefined;
}

export interface StockDeps {
  store: StockStore;
  ledger: StockLedger;
  /** Checks found units (recalled, expired…); without one (the CLI's reports) nothing is checked. */
  registry?: RegistryReader;
  /** @default () => new Date() */
  clock?: () => Date;
  /** For "expired" (YYYY-MM-DD in this zone). @default 'UTC' */
  timeZone?: string;
}

/** Codes in one batch of scans (a handheld uploading what it read offline). */
export const MAX_SCANS_PER_CALL = 1000;

export type StockScanResult =
  /** stocktake: on hand here; stock out: added to the shipment */
  'found' | 'extra' | 'added' | 'removed' | 'already_scanned' | 'refused' | 'unreadable' | 'session_closed';

/** The answer to one scan in a stocktake or shipping-out session, once durable. */
export interface StockScanAnswer {
  /** False when the clerk should look: an extra, a bad unit, a refusal. */
  ok: boolean;
  result: StockScanResult;
  target: 'pallet' | 'case' | 'unit' | 'unknown';
  key: string;
  /** The unit's stock state when the scan was read (units only). */
  state?: UnitStockState;
  /** Units this scan counted (a container's contents) or added. */
  units: number;
  problems: { code: string; key: string; message: string }[];
}

/** What a scanned text names: a container on a note here, a unit, or nothing readable. */
export type Scanned =
  | { kind: 'container'; key: string; ids: number[]; units: number; level: 'pallet' | 'case' }
  | { kind: 'unit'; key: string; productKey: string; rest: string }
  | { kind: 'unreadable'; key: string; message: string };

export function resolveScan(store: StockStore, raw: string): Scanned {
  const sscc = readSscc(raw);
  if (sscc !== undefined) {
    const c = store.container(sscc);
    if (c) return { kind: 'container', key: sscc, ...c, level: c.ids.length > 1 ? 'pallet' : 'case' };
  }
  const read = unitKeyOf(raw);
  if (!read.ok)
    return { kind: 'unreadable', key: raw.slice(0, 64), message: `${read.code}: ${read.message}` };
  const c = store.container(read.key);
  if (c) return { kind: 'container', key: read.key, ...c, level: c.ids.length > 1 ? 'pallet' : 'case' };
  return { kind: 'unit', key: read.key, productKey: read.productKey, rest: read.rest };
}

export function addByProduct(byProduct: UnitKeysByProduct, productKey: string, rest: string): void {
  const rests = byProduct[productKey];
  if (rests) rests.push(rest);
  else byProduct[productKey] = [rest];
}

export function countOf(byProduct: UnitKeysByProduct): number {
  let n = 0;
  for (const rests of Object.values(byProduct)) n += rests.length;
  return n;
}

/** Checks a code list before any of it is read: at least one, at most MAX_SCANS_PER_CALL. */
export function checkBatch(codes: readonly string[]): void {
  if (codes.length === 0 || codes.length > MAX_SCANS_PER_CALL)
    throw new VeritermError(
      'bad_scan_batch',
      `Expected 1 to ${MAX_SCANS_PER_CALL} codes in one call, got ${codes.length}`,
    );
}

/** The session `id` of `type`, open; a typed fault naming what is wrong otherwise. */
export function openSession(store: StockStore, id: string, type: SessionType): SessionRow {
  const s = sessionOf(store, id, type);
  if (s.state !== 'open')
    throw new VeritermError('session_closed', `${label(type)} ${id} is ${s.state}: nothing changes`);
  return s;
}

export function sessionOf(store: StockStore, id: string, type: SessionType): SessionRow {
  const s = store.session(id);
  if (!s || s.type !== type)
    throw new VeritermError('session_unknown', `No ${label(type)} ${id} on this terminal`);
  return s;
}

const label = (type: SessionType) => (type === 'stocktake' ? 'stocktake' : 'shipment');

const ulidAt = monotonicFactory();
/** A new session id (ULID: sortable by time, unique across terminals). */
export function newSessionId(now: Date): string {
  return ulidAt(now.getTime());
}

export function closedAnswer(raw: string, message: string): StockScanAnswer {
  const key = raw.slice(0, 64);
  return {
    ok: false,
    result: 'session_closed',
    target: 'unknown',
    key,
    units: 0,
    problems: [{ code: 'session_closed', key, message }],
  };
}

export function unreadableAnswer(s: { key: string; message: string }): StockScanAnswer {
  return {
    ok: false,
    result: 'unreadable',
    target: 'unknown',
    key: s.key,
    units: 0,
    problems: [{ code: 'unreadable', key: s.key, message: s.message }],
  };
}

/** YYYY-MM-DD of `now` in `timeZone`, for expiry checks. */
export function dayOf(now: Date, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(now);
}
