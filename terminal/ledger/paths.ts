import { join } from 'node:path';
import { TERMINAL_KEY_FILE } from '../identity/terminal-key.js';

/** Where the ledger lives in a data directory (config `dataDir`, env VERITERM_DATA); terminal/main.ts opens the same file. */
export const LEDGER_DB_FILE = 'terminal.db';

export function ledgerPaths(dataDir: string): { db: string; key: string } {
  return { db: join(dataDir, LEDGER_DB_FILE), key: join(dataDir, TERMINAL_KEY_FILE) };
}
