import { join } from 'node:path';
import { TERMINAL_KEY_FILE } from '../identity/terminal-key.js';

/** Where the ledger lives in a data directory (config `dataDir`, env VERITERM_DATA). */
export const LEDGER_DB_FILE = 'ledger.db';

export function ledgerPaths(dataDir: string): { db: string; key: string } {
  return { db: join(dataDir, LEDGER_DB_FILE), key: join(dataDir, TERMINAL_KEY_FILE) };
}
