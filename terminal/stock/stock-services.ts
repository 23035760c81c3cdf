import type { Ledger } from '../ledger/ledger.js';
import type { RegistryReader } from '../registry/types.js';
import { StockOutService } from './stock-out-service.js';
import { StockReads } from './stock-reads.js';
import { StockStore } from './stock-store.js';
import { StocktakeService } from './stocktake-service.js';

export interface StockServices {
  store: StockStore;
  stocktakes: StocktakeService;
  shipments: StockOutService;
  /** Counts and reports on a worker thread (the composition root closes it on stop). */
  reads: StockReads;
}

/**
 * Stock operations' services for the composition root (terminal/main.ts), on the ledger's own
 * connection (terminal.db): a session's close appends its record and moves its units in one
 * transaction. Route files (terminal/http/routes/stock-routes.ts) take the instances.
 */
export function stockServices(core: {
  ledger: Ledger;
  registry: RegistryReader;
  config: { terminal: { storeId: string; timeZone?: string | undefined } };
}): StockServices {
  const store = new StockStore(core.ledger.db);
  const deps = {
    store,
    ledger: core.ledger,
    registry: core.registry,
    storeId: core.config.terminal.storeId,
    ...(core.config.terminal.timeZone ? { timeZone: core.config.terminal.timeZone } : {}),
  };
  const stocktakes = new StocktakeService(deps);
  const db = core.ledger.db;
  // A file database is read by the reads thread's own connection; an in-memory one only here.
  const file = db.memory || db.name === '' ? undefined : db.name;
  return {
    store,
    stocktakes,
    shipments: new StockOutService(deps),
    reads: new StockReads({ store, stocktakes }, file),
  };
}
