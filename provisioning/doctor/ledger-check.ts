import { join } from 'node:path';
import type { Config } from '../../terminal/config/index.js';
import { ledgerPresence } from '../../terminal/ledger/anchor.js';
import { LEDGER_DB_FILE } from '../../terminal/ledger/paths.js';
import { isPermissionError, pathAccess, permissionCheck } from './path-access.js';
import { type DoctorCheck, fail, ok } from './types.js';

/**
 * The ledger the terminal's anchor names is there (terminal/ledger/anchor.ts): a deleted, emptied
 * or swapped terminal.db fails with the same remedy the terminal's refusal to start gives. Reads
 * only: doctor never creates or changes the ledger.
 */
export function checkLedger(config: Config): DoctorCheck {
  let presence: ReturnType<typeof ledgerPresence>;
  const dbFile = join(config.dataDir, LEDGER_DB_FILE);
  // A ledger we may not open would read as "emptied": a permission problem is said as such.
  if (pathAccess(dbFile).state === 'denied') return permissionCheck('ledger', dbFile, config.dataDir);
  try {
    presence = ledgerPresence(config.dataDir);
  } catch (error) {
    if (isPermissionError(error, dbFile)) return permissionCheck('ledger', dbFile, config.dataDir);
    return fail(
      'ledger',
      (error as Error).message,
      'restore the ledger anchor from a backup',
      'ledger_anchor_unreadable',
    );
  }
  switch (presence.state) {
    case 'present':
      return ok(
        'ledger',
        `${presence.dbFile} is this terminal's ledger (anchored since ${presence.anchor.createdAt}${presence.anchor.base ? `, recovered after seq ${presence.anchor.base.seq}` : ''})`,
      );
    case 'unanchored':
      return ok('ledger', `no ledger yet at ${presence.dbFile}: the terminal starts one on its first run`);
    default:
      return fail('ledger', `${presence.message} [${presence.code}]`, presence.remedy, presence.code);
  }
}
