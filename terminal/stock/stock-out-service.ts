import { VeritermError } from '../errors.js';
import type { StockOutKind, StockOutPayload, StockOutReason, UnitKeysByProduct } from '../ledger/payloads.js';
import type { LedgerRecord } from '../ledger/types.js';
import { unitStockOf } from '../receiving/stock.js';
import { isTopicLevel } from '../sync/topics.js';
import {
  addByProduct,
  checkBatch,
  closedAnswer,
  newSessionId,
  openSession,
  resolveScan,
  type StockDeps,
  type StockScanAnswer,
  sessionOf,
  unreadableAnswer,
} from './stock-scan.js';
import type { SessionRow } from './stock-store.js';
import { type OutMove, transition } from './unit-state.js';

export interface StockOutRequest {
  kind: StockOutKind;
  reason: StockOutReason;
  /** Free text; required for reason `other`. */
  note?: string;
  /** return_to_supplier: required. */
  supplierId?: string;
  /** transfer: required, another store of the chain. */
  toStoreId?: string;
  openedBy: string;
}

/** What a shipment keeps from its opening request (its record repeats it). */
type ShipmentParams = Omit<StockOutRequest, 'openedBy'>;

/** Units one shipment may carry (the `stock_out` record lists each). */
export const MAX_SHIPMENT_UNITS = 200_000;

const MOVE_OF: Record<StockOutKind, Exclude<OutMove, 'lost'>> = {
  return_to_supplier: 'returned_to_supplier',
  transfer: 'transferred',
  destruction: 'destroyed',
};

/**
 * Shipping out (docs/stock.md): return to supplier, transfer to another store, destruction. A
 * session collects units on hand (a pallet or case label adds its units on hand); closing it
 * writes one signed `stock_out` record and takes every unit out of stock in one transaction. A
 * unit not on hand is refused at the scan and checked again at close (a sale meanwhile).
 * A transfer's record reaches upstream through the outbox, which builds the receiving store's
 * delivery note from it (upstream/transfer-note.ts).
 */
export class StockOutService {
  private readonly clock: () => Date;

  constructor(private readonly deps: StockDeps & { storeId?: string }) {
    this.clock = deps.clock ?? (() => new Date());
  }

  open(request: StockOutRequest): SessionRow {
    const params = checkRequest(request, this.deps.storeId);
    const now = this.clock();
    const id = newSessionId(now);
    const { store } = this.deps;
    store.db
      .transaction(() => store.openSession(id, 'stock_out', params, request.openedBy, now.toISOString()))
      .immediate();
    return store.session(id)!;
  }

  session(id: string): SessionRow {
    return sessionOf(this.deps.store, id, 'stock_out');
  }

  list(limit?: number): SessionRow[] {
    return this.deps.store.sessions('stock_out', limit);
  }

  /** Units scanned so far, by product. */
  units(id: string): UnitKeysByProduct {
    const out: UnitKeysByProduct = {};
    for (const u of this.deps.store.units(this.session(id).id)) addByProduct(out, u.productKey, u.rest);
    return out;
  }

  scan(id: string, raw: string): StockScanAnswer {
    return this.scanMany(id, [raw])[0]!;
  }

  /** Adds units (or a container's units on hand) to the shipment, in one durable transaction. */
  scanMany(id: string, codes: readonly string[]): StockScanAnswer[] {
    return this.change(id, codes, 'add');
  }

  /** Takes scanned units (or a container's) out of the shipment again: a clerk's mistake. */
  removeMany(id: string, codes: readonly string[]): StockScanAnswer[] {
    return this.change(id, codes, 'remove');
  }

  /** Writes the signed `stock_out` record and takes every unit out of stock. */
  close(id: string, approvedBy: string): LedgerRecord<StockOutPayload> {
    const { store, ledger } = this.deps;
    return ledger.transaction(() => {
      const s = openSession(store, id, 'stock_out');
      const params = JSON.parse(s.params) as ShipmentParams;
      const move = MOVE_OF[params.kind];
      const units: UnitKeysByProduct = {};
      const refused: string[] = [];
      const scanned = store.units(id);
      if (scanned.length === 0) throw new VeritermError('shipment_empty', `Shipment ${id} has no units`);
      for (const u of scanned) {
        const key = u.productKey + u.rest;
        const next = transition(store.reader.record(key, u.productKey, u.rest).facts, {
          kind: 'ship_out',
          move,
        });
        if (next.ok) addByProduct(units, u.productKey, u.rest);
        else refused.push(`${key} (${next.code})`);
      }
      if (refused.length > 0)
        throw new VeritermError(
          'units_not_on_hand',
          `Shipment ${id}: ${refused.length} units are no longer on hand (remove them first): ${refused.slice(0, 10).join(', ')}`,
        );
      const payload: StockOutPayload = {
        shipmentId: id,
        ...params,
        approvedBy,
        containers: store.containerKeys(id),
        units,
      };
      const record = ledger.append('stock_out', payload);
      for (const u of scanned) store.setMove(u.productKey, u.rest, move, false, record.seq);
      if (!store.close(id, record.at, record.id, record.seq))
        throw new VeritermError('session_closed', `Shipment ${id} is already closed`);
      return record;
    });
  }

  /** Drops an open shipment: nothing is written to the ledger, no unit moves. */
  cancel(id: string): void {
    const { store } = this.deps;
    store.db
      .transaction(() => {
        openSession(store, id, 'stock_out');
        store.cancel(id, this.clock().toISOString());
      })
      .immediate();
  }

  private change(id: string, codes: readonly string[], how: 'add' | 'remove'): StockScanAnswer[] {
    checkBatch(codes);
    const { store } = this.deps;
    return store.db
      .transaction(() => {
        const s = sessionOf(store, id, 'stock_out');
        if (s.state !== 'open') return codes.map((c) => closedAnswer(c, `shipment ${id} is ${s.state}`));
        const move = MOVE_OF[(JSON.parse(s.params) as { kind: StockOutKind }).kind];
        let count = store.unitCount(id);
        return codes.map((raw): StockScanAnswer => {
          const r = resolveScan(store, raw);
          if (r.kind === 'unreadable') return unreadableAnswer(r);
          const targets =
            r.kind === 'unit' ? [{ productKey: r.productKey, rest: r.rest }] : store.unitsOfContainers(r.ids);
          const target = r.kind === 'unit' ? 'unit' : r.level;
          if (how === 'remove') {
            let removed = 0;
            for (const t of targets) if (store.removeUnit(id, t.productKey, t.rest)) removed++;
            if (r.kind === 'container') store.removeContainer(id, r.ids[0]!);
            count -= removed;
            return { ok: true, result: 'removed', target, key: r.key, units: removed, problems: [] };
          }
          let added = 0;
          let refused = 0;
          let state: StockScanAnswer['state'];
          let code = '';
          for (const t of targets) {
            const key = t.productKey + t.rest;
            const rec = store.reader.record(key, t.productKey, t.rest);
            state = unitStockOf(rec).state;
            const next = transition(rec.facts, { kind: 'ship_out', move });
            if (!next.ok) {
              refused++;
              code = next.code;
              continue;
            }
            if (count >= MAX_SHIPMENT_UNITS)
              throw new VeritermError(
                'shipment_full',
                `A shipment carries at most ${MAX_SHIPMENT_UNITS} units: close this one`,
              );
            if (store.addUnit(id, t.productKey, t.rest)) {
              added++;
              count++;
            }
          }
          if (r.kind === 'container' && added > 0) store.addContainer(id, r.ids[0]!);
          const problems =
            refused === 0
              ? []
              : [
                  {
                    code: r.kind === 'unit' ? code : 'units_not_on_hand',
                    key: r.key,
                    message:
                      r.kind === 'unit'
                        ? `not on hand here (${state}): it cannot leave stock`
                        : `${refused} units of it are not on hand here: left out`,
                  },
                ];
          return {
            ok: problems.length === 0,
            result: added > 0 ? 'added' : refused > 0 ? 'refused' : 'already_scanned',
            target,
            key: r.key,
            ...(r.kind === 'unit' && state ? { state } : {}),
            units: added,
            problems,
          };
        });
      })
      .immediate();
  }
}

/** The request's fields a shipment keeps, or a typed fault naming the field that is wrong. */
function checkRequest(r: StockOutRequest, ownStore: string | undefined): ShipmentParams {
  const fail = (message: string) => new VeritermError('bad_shipment', message);
  if (r.reason === 'other' && !r.note?.trim()) throw fail("reason 'other' needs a note saying why");
  if (r.kind === 'transfer') {
    if (!r.toStoreId?.trim()) throw fail('a transfer needs toStoreId: the store that receives the units');
    // Upstream sends the receiving store its note on vt/{toStoreId}/…: an id that is not one topic level can never arrive.
    if (!isTopicLevel(r.toStoreId))
      throw fail(
        `toStoreId ${JSON.stringify(r.toStoreId)}: expected a store id (1 to 64 of A-Z a-z 0-9 _ . -)`,
      );
    if (r.toStoreId === ownStore)
      throw fail(`toStoreId ${r.toStoreId} is this store: transfer to another store`);
  } else if (r.toStoreId !== undefined) throw fail(`toStoreId is for transfers only, not ${r.kind}`);
  if (r.kind === 'return_to_supplier') {
    if (!r.supplierId?.trim()) throw fail('a return to supplier needs supplierId');
  } else if (r.supplierId !== undefined)
    throw fail(`supplierId is for returns to supplier only, not ${r.kind}`);
  return {
    kind: r.kind,
    reason: r.reason,
    ...(r.note?.trim() ? { note: r.note.trim() } : {}),
    ...(r.supplierId ? { supplierId: r.supplierId } : {}),
    ...(r.toStoreId ? { toStoreId: r.toStoreId } : {}),
  };
}
