import { VeritermError } from '../errors.js';
import type { LedgerReads } from '../ledger/ledger-reads.js';
import type { StockLedger } from './stock-scan.js';

/** The ledger as reports see it: reads only (the CLI, the reads thread); an append is refused. */
export function readOnlyLedger(reads: Pick<LedgerReads, 'record'>): StockLedger {
  const refuse = () => {
    throw new VeritermError('read_only', 'This view of the ledger only reads: count on the terminal');
  };
  return { transaction: refuse, append: refuse, record: (id) => reads.record(id) };
}
