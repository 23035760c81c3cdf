import type { UnitChange } from './delta-builder.js';
import type { UnitEvent } from './ingest-store.js';

/** The unit events a registry delta carries; the rest is stock at one store. */
const PUBLISHED: ReadonlySet<string> = new Set(['sold', 'active', 'destroyed', 'returned_to_supplier']);

/**
 * The unit events of one delta, oldest first, folded into one change per unit. A destruction is
 * final; otherwise later events win (a sale then a return leaves the unit active; a return then a
 * resale leaves it sold), except that a return undoes only a sale at its own store (DOMAIN.md: a
 * return is taken where the unit was sold): a return that meets a sale elsewhere in the same delta
 * is dropped, and one with no earlier event here carries its store (`returnedAt`) so the builder
 * checks it against the registry's own `soldAt`.
 */
export function foldUnitEvents(events: readonly UnitEvent[]): UnitChange[] {
  const latest = new Map<string, UnitChange>();
  for (const e of events) {
    // Stock at one store (checked in, transferred between stores, lost or found at a stocktake)
    // changes nothing the registry publishes.
    if (!PUBLISHED.has(e.status)) continue;
    const before = latest.get(e.key);
    // Destroyed is terminal (DOMAIN.md): nothing later in the same delta undoes it.
    if (before?.status === 'destroyed') continue;
    if (e.status === 'destroyed' || e.status === 'returned_to_supplier') {
      latest.set(e.key, {
        key: e.key,
        status: e.status,
        leftAt: { store: e.storeId, at: e.at, terminal: e.terminalId },
      });
      continue;
    }
    if (e.status === 'sold') {
      latest.set(e.key, {
        key: e.key,
        status: 'sold',
        soldAt: { store: e.storeId, at: e.at, terminal: e.terminalId },
      });
      continue;
    }
    if (before && (before.status !== 'sold' || before.soldAt?.store !== e.storeId)) continue;
    latest.set(e.key, {
      key: e.key,
      status: 'active',
      returnedAt: { store: e.storeId, at: e.at, terminal: e.terminalId },
    });
  }
  return [...latest.values()];
}
