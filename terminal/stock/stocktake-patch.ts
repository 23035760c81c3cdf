import type { StocktakePayload, UnitKeysByProduct } from '../ledger/payloads.js';
import type { ChangedUnit } from './on-hand-snapshot.js';
import type { UnitStockState } from './unit-state.js';

/** Where a unit stands in a stocktake's report. */
type Place = 'found' | 'missing' | 'none' | 'notReceived' | 'sold' | 'leftStock';

/** What the patch needs to know of a changed unit now (session's scans, stock state, container). */
export interface UnitNow {
  scanned: boolean;
  containerScanned: boolean;
  state: UnitStockState;
}

/**
 * Brings a report made a moment ago up to date for the few units whose stock changed since (a
 * sale or a shipment while the close waited for the write lock), so closing a whole-store
 * stocktake does not read a million units inside its transaction. The scans must be the same as
 * when the report was made. Undefined when the report cannot say where a unit stood (counted by
 * its case label, not scanned itself: found if it was on hand then, else nowhere): the caller
 * makes the report again. The report is changed in place and returned.
 */
export function patchReport(
  report: StocktakePayload,
  units: readonly ChangedUnit[],
  now: (u: ChangedUnit) => UnitNow,
): StocktakePayload | undefined {
  const scope = report.scope === 'all' ? undefined : new Set(report.scope);
  for (const u of units) {
    const inScope = scope === undefined || scope.has(u.productKey);
    const n = now(u);
    let before: Place;
    if (n.scanned) before = extraHolding(report, u) ?? (inScope ? 'found' : 'none');
    else if (report.missing[u.productKey]?.includes(u.rest)) before = 'missing';
    else if (n.containerScanned && inScope) return undefined;
    else before = 'none';
    const onHand = n.state === 'on_hand';
    let after: Place;
    if (onHand && inScope) after = n.scanned || n.containerScanned ? 'found' : 'missing';
    else if (n.scanned && !onHand)
      after = n.state === 'not_in_stock' ? 'notReceived' : n.state === 'sold' ? 'sold' : 'leftStock';
    else after = 'none';
    if (before === after) continue;
    move(report, u, before, -1);
    move(report, u, after, 1);
  }
  return report;
}

function extraHolding(report: StocktakePayload, u: ChangedUnit): Place | undefined {
  for (const g of ['notReceived', 'sold', 'leftStock'] as const)
    if (report.extra[g][u.productKey]?.includes(u.rest)) return g;
  return undefined;
}

function move(report: StocktakePayload, u: ChangedUnit, place: Place, delta: 1 | -1): void {
  if (place === 'none') return;
  if (place === 'found' || place === 'missing') report.expected += delta;
  if (place === 'found') {
    report.found += delta;
    return;
  }
  const listing: UnitKeysByProduct = place === 'missing' ? report.missing : report.extra[place];
  const rests = listing[u.productKey];
  if (delta === 1) {
    if (rests) rests.push(u.rest);
    else listing[u.productKey] = [u.rest];
    return;
  }
  if (!rests) return;
  const at = rests.indexOf(u.rest);
  if (at >= 0) rests.splice(at, 1);
  // A fresh report lists no product without units.
  if (rests.length === 0) delete listing[u.productKey];
}
