import { existsSync, renameSync } from 'node:fs';
import { ulid } from 'ulid';
import { openDatabase } from '../db/open-database.js';
import { VeritermError } from '../errors.js';
import type { TerminalIdentity } from '../identity/terminal-key.js';
import { anchorLedger, anchorPaths } from './anchor.js';
import { canonicalJson, recordDigest } from './canonical.js';
import { Ledger } from './ledger.js';
import type { AlertPayload } from './payloads.js';
import type { LedgerRecord } from './types.js';

/** Where upstream's copy of the chain ends (what the new ledger continues from). */
export interface RecoveryBase {
  seq: number;
  hash: string;
}

/** A write-off upstream holds as active: restored so the code stays already_sold here. */
export interface RecoveredWriteOff {
  seq: number;
  id: string;
  codeKey: string;
  saleId: string;
  at: string;
}

export interface RecoveredLedger {
  /** The `ledger_recovered` alert: the new ledger's first record, seq = base.seq + 1. */
  record: LedgerRecord<AlertPayload>;
  restoredWriteOffs: number;
  /** Where the unusable terminal.db (and its -wal/-shm) was moved, if there was one. */
  movedAside?: string;
}

/**
 * Builds a new terminal.db that continues upstream's copy of the chain (`veriterm ledger recover`):
 * - its first record is a signed `alert` of kind `ledger_recovered` at seq `base.seq + 1` with
 *   prevHash `base.hash`, so upstream ingests it as the next link of the chain it holds (no gap,
 *   no fork) and raises the alert; it waits in the outbox like any record;
 * - `last_acked_seq` is `base.seq` (upstream holds everything up to it) and `base_seq`/`base_hash`
 *   in ledger_meta say where the local chain starts (`veriterm ledger verify` checks from there);
 * - every write-off upstream holds as active goes into the `ledger_write_offs` projection with its
 *   original seq, record id and sale, so the verifier and checkout see `already_sold`
 *   (`written_off_here`) exactly as before the loss, and a second sale of those codes cannot commit
 *   (the projection's unique index). Those rows' records live upstream, below `base_seq`: they are
 *   written with foreign-key checks off, on this one connection, for this one transaction.
 * Records the lost ledger held beyond upstream's tip (never uploaded) are gone; upstream never
 * saw them either, and the alert says from where the chain continues.
 * Any unusable terminal.db is moved aside (renamed with a time stamp), never deleted.
 */
export function writeRecoveredLedger(input: {
  dataDir: string;
  identity: TerminalIdentity;
  storeId: string;
  terminalId: string;
  base: RecoveryBase;
  writeOffs: readonly RecoveredWriteOff[];
  now?: Date;
}): RecoveredLedger {
  const { dataDir, identity, storeId, terminalId, base } = input;
  const now = input.now ?? new Date();
  const { dbFile } = anchorPaths(dataDir);
  const movedAside = moveAside(dbFile, now);
  const db = openDatabase(dbFile);
  try {
    // Creates the tables and binds the terminal key to the new file, as a first start would.
    new Ledger({ db, identity, storeId, terminalId }).close();
    const payload: AlertPayload = {
      kind: 'ledger_recovered',
      note: 'terminal.db was lost; this ledger continues the chain upstream acknowledged',
      base: { seq: base.seq, hash: base.hash },
      restoredWriteOffs: input.writeOffs.length,
      ...(movedAside ? { movedAside } : {}),
    };
    const body = {
      id: ulid(now.getTime()),
      seq: base.seq + 1,
      type: 'alert' as const,
      at: now.toISOString(),
      storeId,
      terminalId,
      prevHash: base.hash,
      payload,
    };
    const payloadJson = canonicalJson(payload);
    const digest = recordDigest(body, payloadJson);
    const record: LedgerRecord<AlertPayload> = {
      ...body,
      hash: digest.toString('hex'),
      signature: identity.sign(digest).toString('base64'),
    };
    const gapFree = (
      db
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ledger_records_gap_free'")
        .get() as { sql: string } | undefined
    )?.sql;
    if (!gapFree) throw new VeritermError('ledger_schema', 'the ledger schema has no gap-free trigger');
    db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        const meta = db.prepare(
          'INSERT INTO ledger_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        );
        meta.run('base_seq', String(base.seq));
        meta.run('base_hash', base.hash);
        meta.run('last_acked_seq', String(base.seq));
        meta.run('recovered_at', record.at);
        const restore = db.prepare(
          `INSERT INTO ledger_write_offs (seq, record_id, code_key, sale_id, at, store_id, terminal_id)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const w of input.writeOffs) {
          if (w.seq > base.seq) continue; // upstream's page raced a new ingest: not part of this base
          restore.run(w.seq, w.id, w.codeKey, w.saleId, w.at, storeId, terminalId);
        }
        // The gap-free trigger wants seq 1 in an empty table; this ledger starts at base.seq + 1.
        // Dropped and re-created (same text) around this one insert, inside the transaction.
        db.exec('DROP TRIGGER ledger_records_gap_free');
        db.prepare(
          `INSERT INTO ledger_records (seq, id, type, at, store_id, terminal_id, payload, prev_hash, hash, signature)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          record.seq,
          record.id,
          record.type,
          record.at,
          storeId,
          terminalId,
          payloadJson,
          record.prevHash,
          record.hash,
          record.signature,
        );
        db.prepare('INSERT INTO ledger_outbox (seq) VALUES (?)').run(record.seq);
        db.exec(gapFree);
      })();
    } finally {
      db.pragma('foreign_keys = ON');
    }
    anchorLedger(db, dataDir, { storeId, terminalId, keyId: identity.keyId }, base);
    return {
      record,
      restoredWriteOffs: input.writeOffs.filter((w) => w.seq <= base.seq).length,
      ...(movedAside ? { movedAside } : {}),
    };
  } finally {
    db.close();
  }
}

/** Renames an existing terminal.db (and its WAL files) to `terminal.db.lost-<time>`; returns the new name. */
function moveAside(dbFile: string, now: Date): string | undefined {
  const files = [dbFile, `${dbFile}-wal`, `${dbFile}-shm`].filter((f) => existsSync(f));
  if (files.length === 0) return undefined;
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const target = `${dbFile}.lost-${stamp}`;
  for (const f of files) renameSync(f, `${target}${f.slice(dbFile.length)}`);
  return target;
}
