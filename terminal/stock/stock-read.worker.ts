// The stock reads thread (started by StockReads in stock-reads.ts, which documents the protocol):
// the reads that cost one pass over stock on hand (per-product counts, a stocktake's report, the
// whole-store snapshot of stock on hand and the report a close takes) on its
// own connection to terminal.db, so the terminal's event loop keeps serving meanwhile (WAL lets
// this connection read while the main one writes).
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/open-database.js';
import { VeritermError } from '../errors.js';
import { LedgerReads } from '../ledger/ledger-reads.js';
import { readOnlyLedger } from './read-only-ledger.js';
import type { StockReadRequest, StockReadsData } from './stock-reads.js';
import { StockStore } from './stock-store.js';
import { StocktakeService } from './stocktake-service.js';

const port = parentPort!;
const data = workerData as StockReadsData;
const db = openDatabase(data.file);
const store = new StockStore(db);
const stocktakes = new StocktakeService({ store, ledger: readOnlyLedger(new LedgerReads(db)) });

function answer(m: StockReadRequest): unknown {
  switch (m.op) {
    case 'counts':
      return store.reader.countsByProduct();
    case 'report':
      return stocktakes.report(m.session);
    case 'report_json':
      return JSON.stringify(stocktakes.report(m.session));
    case 'csv':
      return stocktakes.csv(m.session);
    case 'prime':
      return stocktakes.prime(m.session);
    case 'release':
      return stocktakes.release();
    case 'prepare_close':
      return stocktakes.prepareClose(m.session);
  }
}

port.on('message', (m: StockReadRequest | 'close') => {
  if (m === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const result = answer(m);
    port.postMessage({ id: m.id, result });
  } catch (error) {
    const code = error instanceof VeritermError ? error.code : 'stock_read_failed';
    port.postMessage({
      id: m.id,
      error: { code, message: error instanceof Error ? error.message : String(error) },
    });
  }
});
