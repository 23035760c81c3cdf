import { generateKeyPairSync } from 'node:crypto';
import type { SqliteDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import type { UnitKeysByProduct } from '../../terminal/ledger/payloads.js';
import { decodePayload } from '../../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import type { MemoryRegistryContents } from '../../terminal/registry/testing/memory-registry.js';
import { StockOutService } from '../../terminal/stock/stock-out-service.js';
import { StockStore } from '../../terminal/stock/stock-store.js';
import { StocktakeService } from '../../terminal/stock/stocktake-service.js';
import { salePayload } from './ledger-payloads.js';
import { NOW, ReceivingRig, STORE, upstreamKeys } from './receiving-fixture.js';

/** A receiving rig with stock operations on the same terminal database. */
export class StockRig extends ReceivingRig {
  readonly stock: StockStore;
  readonly stocktakes: StocktakeService;
  readonly shipments: StockOutService;

  static override create(dir: string, keys = upstreamKeys(), registry?: MemoryRegistryContents): StockRig {
    const base = ReceivingRig.create(dir, keys, registry);
    base.close();
    return new StockRig(base.file, base.identity, base.keys, registry);
  }

  constructor(...args: ConstructorParameters<typeof ReceivingRig>) {
    super(...args);
    this.stock = new StockStore(this.db);
    const deps = {
      store: this.stock,
      ledger: this.ledger,
      registry: this.registry,
      clock: () => new Date(NOW),
      storeId: STORE,
    };
    this.stocktakes = new StocktakeService(deps);
    this.shipments = new StockOutService(deps);
  }

  /** A ledger of another store's terminal on `db` (a second terminal in one test). */
  static ledgerOn(db: SqliteDatabase, storeId = 's2'): Ledger {
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    return new Ledger({ db, identity, storeId, terminalId: 't1', clock: () => new Date(NOW) });
  }

  /** Sells units as the checkout does: one sale record and a write-off per unit, in one transaction. */
  sell(keys: readonly string[]): void {
    this.ledger.transaction(() => {
      const sale = this.ledger.append('sale', salePayload(keys));
      for (const [line, codeKey] of keys.entries())
        this.ledger.append('write_off', { codeKey, saleId: sale.id, line });
    });
  }

  /** Takes a sale of `key` back with a manager's approval, as the returns service does. */
  returnUnit(key: string): void {
    const w = this.ledger.writeOffOf(key);
    if (!w) throw new Error(`${key} is not sold`);
    this.ledger.append('return', {
      approvedBy: 'mgr',
      lines: [{ codeKey: key, saleId: w.saleId, writeOffId: w.writeOffId, writeOffSeq: w.writeOffSeq }],
    });
  }

  /** Every unit key on hand per StockReader. */
  onHand(): Set<string> {
    const out = new Set<string>();
    const keys = this.stock.reader.productKeys();
    for (const [p, rest] of this.stock.reader.onHandUnits()) out.add(keys.get(p)! + rest);
    return out;
  }
}

interface ReplayUnit {
  received: boolean;
  sold: boolean;
  move: string | null;
  foundIn: boolean;
}

/**
 * Stock on hand from the signed records alone, replayed from the first (each record decoded with
 * its type's decoder, as upstream does): the reference the stored projections must equal.
 */
export function replayStock(records: Iterable<LedgerRecord>): Set<string> {
  const units = new Map<string, ReplayUnit>();
  for (const r of records) {
    const decoded = decodePayload(r.type, r.payload);
    if (!decoded.ok) throw new Error(`record ${r.seq}: ${decoded.message}`);
    for (const c of decoded.unitChanges) {
      const u = units.get(c.key) ?? { received: false, sold: false, move: null, foundIn: false };
      units.set(c.key, u);
      if (c.status === 'received') u.received = true;
      else if (c.status === 'sold') u.sold = true;
      else if (c.status === 'active') u.sold = false;
      else if (c.status === 'found') {
        u.foundIn ||= !u.received;
        u.move = 'found';
      } else u.move = c.status;
    }
  }
  const onHand = new Set<string>();
  for (const [key, u] of units)
    if (!u.sold && (u.move === 'found' || (u.move === null && u.received))) onHand.add(key);
  return onHand;
}

export function keysOf(byProduct: UnitKeysByProduct): string[] {
  return Object.entries(byProduct).flatMap(([p, rests]) => rests.map((r) => p + r));
}
