import { existsSync } from 'node:fs';
import { openDatabase, type SqliteDatabase } from '../../terminal/db/open-database.js';
import { VeritermError } from '../../terminal/errors.js';
import { ledgerPaths } from '../../terminal/ledger/paths.js';

/** The data directory a receiving command reads: --data, else $VERITERM_DATA, else ./data. */
export function dataDirOf(flag: string | undefined): string {
  return flag ?? process.env.VERITERM_DATA ?? './data';
}

/** terminal.db of a data directory, which must exist (receiving state lives beside the ledger). */
export function openTerminalDb(dataDir: string, options: { readonly?: boolean } = {}): SqliteDatabase {
  const file = ledgerPaths(dataDir).db;
  if (!existsSync(file))
    throw new VeritermError('ledger_missing', `No terminal database at ${file} (is --data right?)`);
  return openDatabase(file, options);
}

/** Whether receiving's tables exist yet (they are made by the first note imported). */
export function hasReceiving(db: SqliteDatabase): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'receiving_notes'").get() !== undefined;
}
