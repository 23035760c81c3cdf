import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { writeFileAtomic } from '../db/atomic-write.js';
import type { SqliteDatabase } from '../db/open-database.js';
import { VeritermError } from '../errors.js';
import { TERMINAL_KEY_FILE } from '../identity/terminal-key.js';
import { LEDGER_DB_FILE } from './paths.js';

/**
 * Evidence, kept beside the terminal key, that this terminal has a ledger: deleting or emptying
 * terminal.db alone can then never pass for a first start (which would begin a new chain at seq 1,
 * and sell again every code the lost ledger had written off).
 *
 * The anchor names the ledger database it belongs to by a random `ledgerId`, also stored in that
 * database (`ledger_meta.ledger_id`). At start (`assertLedgerPresent`) a data directory with an
 * anchor must hold terminal.db with the same ledger id: a missing file, a 0-byte file or a fresh
 * empty database is `ledger_missing`, another ledger is `ledger_mismatch`. The remedy is
 * `veriterm ledger recover`, which continues upstream's copy of the chain (docs/operations.md).
 * Someone who deletes both the anchor and terminal.db gets a terminal that starts at seq 1: upstream
 * then sees a fork (a resend of seqs it holds with other hashes) and the terminal an acknowledgement
 * beyond its ledger, both raised as alerts; they do not get a silent second ledger.
 */
export const LEDGER_ANCHOR_FILE = join(dirname(TERMINAL_KEY_FILE), 'ledger.anchor');

export const RECOVER_COMMAND = 'veriterm ledger recover --config FILE';

export interface LedgerAnchor {
  v: 1;
  storeId: string;
  terminalId: string;
  keyId: string;
  ledgerId: string;
  createdAt: string;
  /** Set for a recovered ledger: upstream's last acknowledged record it continues from. */
  base?: { seq: number; hash: string };
}

export type LedgerPresence =
  /** No anchor yet: a first start (after provisioning), or a terminal from before anchors. */
  | { state: 'unanchored'; dbFile: string; anchorFile: string }
  | { state: 'present'; dbFile: string; anchorFile: string; anchor: LedgerAnchor }
  | {
      state: 'missing' | 'emptied' | 'replaced';
      code: 'ledger_missing' | 'ledger_mismatch';
      dbFile: string;
      anchorFile: string;
      message: string;
      remedy: string;
    };

export function anchorPaths(dataDir: string): { dbFile: string; anchorFile: string } {
  return { dbFile: join(dataDir, LEDGER_DB_FILE), anchorFile: join(dataDir, LEDGER_ANCHOR_FILE) };
}

export function readAnchor(anchorFile: string): LedgerAnchor {
  try {
    const anchor = JSON.parse(readFileSync(anchorFile, 'utf8')) as LedgerAnchor;
    if (typeof anchor.ledgerId !== 'string' || anchor.ledgerId.length === 0) throw new Error('no ledgerId');
    return anchor;
  } catch (error) {
    throw new VeritermError(
      'ledger_anchor_invalid',
      `Ledger anchor ${anchorFile} is unreadable; expected JSON with a ledgerId (restore it from a backup, or run ${RECOVER_COMMAND})`,
      { cause: error },
    );
  }
}

/** What the database file holds: its ledger id and record count, read without changing it. */
function inspectDatabase(dbFile: string): { ledgerId?: string; records: number } {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const has = (name: string) =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    const records = has('ledger_records')
      ? (db.prepare('SELECT COUNT(*) AS n FROM ledger_records').get() as { n: number }).n
      : 0;
    const row = has('ledger_meta')
      ? (db.prepare("SELECT value FROM ledger_meta WHERE key = 'ledger_id'").get() as
          | { value: string }
          | undefined)
      : undefined;
    return { records, ...(row ? { ledgerId: row.value } : {}) };
  } finally {
    db.close();
  }
}

/** Whether the data directory holds the ledger its anchor names. Reads only; creates nothing. */
export function ledgerPresence(dataDir: string): LedgerPresence {
  const { dbFile, anchorFile } = anchorPaths(dataDir);
  if (!existsSync(anchorFile)) return { state: 'unanchored', dbFile, anchorFile };
  const anchor = readAnchor(anchorFile);
  const remedy = `restore ${dbFile} from a backup, or run ${RECOVER_COMMAND} (continues upstream's copy of the ledger)`;
  const lost = (state: 'missing' | 'emptied', what: string): LedgerPresence => ({
    state,
    code: 'ledger_missing',
    dbFile,
    anchorFile,
    message: `the ledger ${dbFile} ${what}, but this terminal (key ${anchor.keyId}) has had a ledger since ${anchor.createdAt} (${anchorFile})`,
    remedy,
  });
  if (!existsSync(dbFile)) return lost('missing', 'is missing');
  // A 0-byte file with no write-ahead log beside it holds nothing (WAL mode writes the header first).
  const wal = `${dbFile}-wal`;
  if (statSync(dbFile).size === 0 && !(existsSync(wal) && statSync(wal).size > 0))
    return lost('emptied', 'is empty (0 bytes)');
  let found: { ledgerId?: string; records: number };
  try {
    found = inspectDatabase(dbFile);
  } catch (error) {
    return lost('emptied', `cannot be read as a database (${(error as Error).message})`);
  }
  if (found.ledgerId === anchor.ledgerId) return { state: 'present', dbFile, anchorFile, anchor };
  if (found.records === 0)
    return lost('emptied', 'holds no records of this terminal (a new, empty database)');
  return {
    state: 'replaced',
    code: 'ledger_mismatch',
    dbFile,
    anchorFile,
    message: `the ledger ${dbFile} is not the one this terminal wrote (ledger id ${found.ledgerId ?? 'none'}, expected ${anchor.ledgerId} from ${anchorFile})`,
    remedy: `put this terminal's own terminal.db back, or move ${dbFile} aside and run ${RECOVER_COMMAND}`,
  };
}

/**
 * The start-up check (terminal/main.ts, before the database is opened): throws `ledger_missing`
 * or `ledger_mismatch` naming the file and the remedy when the anchor's ledger is not there.
 */
export function assertLedgerPresent(dataDir: string): void {
  const presence = ledgerPresence(dataDir);
  if (presence.state === 'unanchored' || presence.state === 'present') return;
  throw new VeritermError(
    presence.code,
    `Refusing to start: ${presence.message}. Remedy: ${presence.remedy}`,
  );
}

/**
 * Ties the open ledger to the data directory: gives the database a ledger id (once) and writes the
 * anchor beside the key when there is none yet. Called once the ledger is open (terminal/main.ts).
 */
export function anchorLedger(
  db: SqliteDatabase,
  dataDir: string,
  who: { storeId: string; terminalId: string; keyId: string },
  base?: { seq: number; hash: string },
): LedgerAnchor {
  const { anchorFile } = anchorPaths(dataDir);
  db.prepare("INSERT OR IGNORE INTO ledger_meta (key, value) VALUES ('ledger_id', ?)").run(randomUUID());
  const ledgerId = (
    db.prepare("SELECT value FROM ledger_meta WHERE key = 'ledger_id'").get() as { value: string }
  ).value;
  if (existsSync(anchorFile)) {
    const anchor = readAnchor(anchorFile);
    if (anchor.ledgerId === ledgerId) return anchor;
  }
  const anchor: LedgerAnchor = {
    v: 1,
    ...who,
    ledgerId,
    createdAt: new Date().toISOString(),
    ...(base ? { base } : {}),
  };
  // Temp file, fsync, rename over, fsync the directory: the anchor is never half-written.
  writeFileAtomic(anchorFile, `${JSON.stringify(anchor, null, 2)}\n`, 0o600);
  return anchor;
}
