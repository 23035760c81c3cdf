import type { KeyObject } from 'node:crypto';
import { migrate, type SqliteDatabase } from '../terminal/db/open-database.js';
import { decodePayload } from '../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import { parseEd25519PublicKey } from '../terminal/sync/command-signing.js';
import { EnforcementRecorder } from './enforcement/enforcement-recorder.js';
import { sqliteEnforcementPort } from './enforcement/sqlite-enforcement.js';
import { GENESIS_HASH } from './record-verify.js';
import { type ChainCheck, checkChain, heldResult, startsBeyondTip } from './storage/chain-check.js';
import {
  type IngestBatch,
  type IngestResult,
  UNDECODABLE_RECORD,
  type UnitEvent,
} from './storage/ingest-types.js';

/** Steps are append-only: never edit a shipped step. */
export const UPSTREAM_MIGRATIONS: readonly string[] = [
  `CREATE TABLE up_terminals (
     store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, public_key TEXT NOT NULL,
     last_seq INTEGER NOT NULL DEFAULT 0, last_hash TEXT NOT NULL, last_at TEXT,
     PRIMARY KEY (store_id, terminal_id))`,
  `CREATE TABLE up_records (
     store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
     type TEXT NOT NULL, at TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL,
     payload TEXT NOT NULL, ingested_at TEXT NOT NULL,
     PRIMARY KEY (store_id, terminal_id, seq)) WITHOUT ROWID`,
  `CREATE TABLE up_alerts (
     id INTEGER PRIMARY KEY, at TEXT NOT NULL, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
     kind TEXT NOT NULL, seq INTEGER, message TEXT NOT NULL, UNIQUE (store_id, terminal_id, kind, seq))`,
  `CREATE TABLE up_unit_events (
     id INTEGER PRIMARY KEY, key TEXT NOT NULL, status TEXT NOT NULL, store_id TEXT NOT NULL,
     terminal_id TEXT NOT NULL, at TEXT NOT NULL, record_id TEXT NOT NULL UNIQUE, published_version INTEGER)`,
  'CREATE INDEX up_unit_events_unpublished ON up_unit_events (published_version, id)',
  // Records keyed by a small terminal number instead of two strings, ingest time as epoch ms: a
  // quarter less SQLite work per stored record (see the sync bench). `up_records` stays, as a view.
  `ALTER TABLE up_terminals ADD COLUMN num INTEGER;
   UPDATE up_terminals SET num = rowid;
   CREATE UNIQUE INDEX up_terminals_num ON up_terminals (num);
   CREATE TABLE up_record_rows (
     terminal INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
     at TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL, payload TEXT NOT NULL,
     ingested_ms INTEGER NOT NULL,
     PRIMARY KEY (terminal, seq)) WITHOUT ROWID;
   INSERT INTO up_record_rows
     SELECT t.num, r.seq, r.id, r.type, r.at, r.hash, r.signature, r.payload,
       CAST(ROUND((julianday(r.ingested_at) - 2440587.5) * 86400000) AS INTEGER)
     FROM up_records r JOIN up_terminals t ON t.store_id = r.store_id AND t.terminal_id = r.terminal_id;
   DROP TABLE up_records;
   CREATE VIEW up_records AS
     SELECT t.store_id, t.terminal_id, r.seq, r.id, r.type, r.at, r.hash, r.signature, r.payload,
       strftime('%Y-%m-%dT%H:%M:%fZ', r.ingested_ms / 1000.0, 'unixepoch') AS ingested_at
     FROM up_record_rows r JOIN up_terminals t ON t.num = r.terminal;`,
  // A batch's accepted records (always a contiguous run) stored as one row of columns instead of
  // one row per record: a row per record was most of upstream's per-record cost (see the sync
  // bench). `up_record_rows` keeps what was stored before; `up_records` shows both, one row per record.
  `CREATE TABLE up_record_batches (
     terminal INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
     ids TEXT NOT NULL, types TEXT NOT NULL, ats TEXT NOT NULL, signatures TEXT NOT NULL,
     payloads TEXT NOT NULL, hashes TEXT NOT NULL, ingested_ms INTEGER NOT NULL,
     PRIMARY KEY (terminal, first_seq));
   DROP VIEW up_records;
   CREATE VIEW up_records AS
     SELECT t.store_id, t.terminal_id, r.seq, r.id, r.type, r.at, r.hash, r.signature, r.payload,
       strftime('%Y-%m-%dT%H:%M:%fZ', r.ingested_ms / 1000.0, 'unixepoch') AS ingested_at
     FROM up_record_rows r JOIN up_terminals t ON t.num = r.terminal
     UNION ALL
     SELECT t.store_id, t.terminal_id, b.first_seq + j.key, j.value,
       json_extract(b.types, '$[' || j.key || ']'), json_extract(b.ats, '$[' || j.key || ']'),
       substr(b.hashes, j.key * 64 + 1, 64), json_extract(b.signatures, '$[' || j.key || ']'),
       json_extract(b.payloads, '$[' || j.key || ']'),
       strftime('%Y-%m-%dT%H:%M:%fZ', b.ingested_ms / 1000.0, 'unixepoch')
     FROM up_record_batches b JOIN up_terminals t ON t.num = b.terminal, json_each(b.ids) j;`,
  // A record may imply several unit events (a return with several lines, record-decoders.ts):
  // unique per record and unit instead of per record, so a re-ingest still adds nothing.
  `CREATE TABLE up_unit_events_v2 (
     id INTEGER PRIMARY KEY, key TEXT NOT NULL, status TEXT NOT NULL, store_id TEXT NOT NULL,
     terminal_id TEXT NOT NULL, at TEXT NOT NULL, record_id TEXT NOT NULL, published_version INTEGER,
     UNIQUE (record_id, key));
   INSERT INTO up_unit_events_v2 (id, key, status, store_id, terminal_id, at, record_id, published_version)
     SELECT id, key, status, store_id, terminal_id, at, record_id, published_version FROM up_unit_events;
   DROP TABLE up_unit_events;
   ALTER TABLE up_unit_events_v2 RENAME TO up_unit_events;
   CREATE INDEX up_unit_events_unpublished ON up_unit_events (published_version, id);`,
  // Returns ingested before decoding (the field-name guess found no key in `lines[].codeKey`) made
  // no event, so their units stayed sold upstream. A returned line whose unit's latest event is
  // still the very write-off it takes back gets its `active` event now (the newest fact about that
  // unit); a unit sold again since keeps that sale.
  // The index serves this step only (ingest does not look events up by key).
  `CREATE INDEX up_unit_events_backfill ON up_unit_events (key, id);
   INSERT OR IGNORE INTO up_unit_events (key, status, store_id, terminal_id, at, record_id)
     SELECT json_extract(l.value, '$.codeKey'), 'active', r.store_id, r.terminal_id, r.at, r.id
     FROM up_records r, json_each(r.payload, '$.lines') l
     WHERE r.type = 'return' AND json_type(l.value, '$.codeKey') = 'text'
       AND (SELECT e.record_id FROM up_unit_events e
            WHERE e.key = json_extract(l.value, '$.codeKey') ORDER BY e.id DESC LIMIT 1)
         = json_extract(l.value, '$.writeOffId')
     ORDER BY r.at, r.id;
   DROP INDEX up_unit_events_backfill;`,
  // Revocation (upstream/revocation.ts): a revoked terminal's records are refused with a
  // `revoked_terminal` alert; its stored records stay (they were signed while it was trusted).
  'ALTER TABLE up_terminals ADD COLUMN revoked_at TEXT;',
];

/** SQLite pages (4 KiB) of WAL between automatic checkpoints: 64 MiB. */
const WAL_AUTOCHECKPOINT_PAGES = 16_384;

export {
  type IngestBatch,
  type IngestProblem,
  type IngestResult,
  UNDECODABLE_RECORD,
  type UnitEvent,
} from './storage/ingest-types.js';

/** Where a terminal's stored chain ends, and the key its records must verify with. */
interface TerminalTip {
  /** The terminal's small number (the record rows' key). */
  num: number;
  publicKey: string;
  lastSeq: number;
  lastHash: string;
  /** ISO time of the revocation; null while the terminal is in service. */
  revokedAt: string | null;
}

export interface IngestOptions {
  /**
   * `batch-tip`: every record's hash and chain link is recomputed, and the signature of the last
   * record of each accepted run is verified. The chain makes that one signature cover every
   * earlier record's content (each hash commits to its predecessor's). A failure falls back to
   * checking each signature to name the bad record. `every`: verify every signature. @default 'batch-tip'
   */
  signatureCheck?: 'batch-tip' | 'every';
}

/**
 * Upstream's record store: idempotent, per-terminal ordered ingest. A record is stored only when
 * it extends the terminal's verified chain by exactly one; a resend of stored records is counted
 * as a duplicate (and compared by hash); a gap, a broken link or a bad signature stops the batch
 * there and raises an alert. Safe with several ingest workers on one database file: each batch is
 * one IMMEDIATE transaction.
 */
export class IngestStore {
  private readonly keys = new Map<string, KeyObject>();
  /** Statements prepared once (preparing per batch showed in upstream's profile). */
  private readonly q;
  /** Clones and the evidence of counterfeit signals, in each ingest transaction (enforcement/). */
  private readonly enforcement: EnforcementRecorder;

  constructor(
    readonly db: SqliteDatabase,
    private readonly options: IngestOptions = {},
  ) {
    migrate(db, 'upstream', UPSTREAM_MIGRATIONS);
    // Checkpoint (copy the WAL into the database file and fsync it) every 64 MiB of WAL instead of
    // SQLite's 4 MiB: a checkpoint runs inside a commit, on the event loop, and waiting on the disk
    // there stalls ingest (in the sync bench ~0.3 s of a 100,000-record drain).
    if (!db.readonly) db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.q = {
      terminal: db.prepare(
        'SELECT num, public_key, last_seq, last_hash, revoked_at FROM up_terminals WHERE store_id = ? AND terminal_id = ?',
      ),
      insertBatch: db.prepare(
        `INSERT INTO up_record_batches
           (terminal, first_seq, last_seq, ids, types, ats, signatures, payloads, hashes, ingested_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      unitEvent: db.prepare(
        'INSERT OR IGNORE INTO up_unit_events (key, status, store_id, terminal_id, at, record_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      alert: db.prepare(
        'INSERT OR IGNORE INTO up_alerts (at, store_id, terminal_id, kind, seq, message) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      advance: db.prepare('UPDATE up_terminals SET last_seq = ?, last_hash = ?, last_at = ? WHERE num = ?'),
    };
    this.enforcement = new EnforcementRecorder({
      port: sqliteEnforcementPort(db, {
        publicKeyOf: (storeId, terminalId) => this.enrolment(storeId, terminalId)?.publicKey,
        raise: (...alert) => this.alert(...alert),
      }),
    });
  }

  enrol(storeId: string, terminalId: string, publicKey: string): void {
    parseEd25519PublicKey(publicKey);
    this.db
      .prepare(
        `INSERT INTO up_terminals (store_id, terminal_id, public_key, last_hash, num)
         VALUES (?, ?, ?, ?, (SELECT IFNULL(MAX(num), 0) + 1 FROM up_terminals))
         ON CONFLICT (store_id, terminal_id) DO UPDATE SET public_key = excluded.public_key`,
      )
      .run(storeId, terminalId, publicKey, GENESIS_HASH);
    this.keys.delete(`${storeId}/${terminalId}`);
  }

  /** Marks an enrolled terminal revoked (idempotent: the first time stays); false when it is not enrolled. */
  revoke(storeId: string, terminalId: string, at = new Date()): boolean {
    return (
      this.db
        .prepare(
          'UPDATE up_terminals SET revoked_at = IFNULL(revoked_at, ?) WHERE store_id = ? AND terminal_id = ?',
        )
        .run(at.toISOString(), storeId, terminalId).changes === 1
    );
  }

  /** Lifts a revocation (a fresh enrolment of the same terminal ids). */
  reinstate(storeId: string, terminalId: string): void {
    this.db
      .prepare('UPDATE up_terminals SET revoked_at = NULL WHERE store_id = ? AND terminal_id = ?')
      .run(storeId, terminalId);
  }

  revokedTerminals(): { storeId: string; terminalId: string; revokedAt: string }[] {
    return this.db
      .prepare(
        `SELECT store_id AS storeId, terminal_id AS terminalId, revoked_at AS revokedAt FROM up_terminals
         WHERE revoked_at IS NOT NULL ORDER BY store_id, terminal_id`,
      )
      .all() as never;
  }

  /** The enrolled key (PEM or raw base64 as enrolled) and revocation time, or undefined when not enrolled. */
  enrolment(
    storeId: string,
    terminalId: string,
  ): { publicKey: string; revokedAt: string | null } | undefined {
    const row = this.q.terminal.get(storeId, terminalId) as
      | { public_key: string; revoked_at: string | null }
      | undefined;
    return row && { publicKey: row.public_key, revokedAt: row.revoked_at };
  }

  alert(storeId: string, terminalId: string, kind: string, seq: number | null, message: string): void {
    this.q.alert.run(new Date().toISOString(), storeId, terminalId, kind, seq, message);
  }

  alerts(): { storeId: string; terminalId: string; kind: string; seq: number | null; message: string }[] {
    return this.db
      .prepare<
        [],
        { storeId: string; terminalId: string; kind: string; seq: number | null; message: string }
      >(
        'SELECT store_id AS storeId, terminal_id AS terminalId, kind, seq, message FROM up_alerts ORDER BY id',
      )
      .all();
  }

  lastSeq(storeId: string, terminalId: string): number {
    const row = this.db
      .prepare('SELECT last_seq FROM up_terminals WHERE store_id = ? AND terminal_id = ?')
      .get(storeId, terminalId) as { last_seq: number } | undefined;
    return row?.last_seq ?? 0;
  }

  /** Write-offs and returns not yet published as a registry delta, oldest first. */
  unpublishedUnitEvents(limit = 50_000): UnitEvent[] {
    return this.db
      .prepare(
        `SELECT id, key, status, store_id AS storeId, terminal_id AS terminalId, at FROM up_unit_events
         WHERE published_version IS NULL ORDER BY id LIMIT ?`,
      )
      .all(limit) as UnitEvent[];
  }

  markPublished(ids: readonly number[], version: number): void {
    const mark = this.db.prepare('UPDATE up_unit_events SET published_version = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) mark.run(version, id);
    })();
  }

  /** Stored sequences of a terminal in order (tests: exactly once, in order). */
  sequences(storeId: string, terminalId: string): number[] {
    return (
      this.db
        .prepare('SELECT seq FROM up_records WHERE store_id = ? AND terminal_id = ? ORDER BY seq')
        .all(storeId, terminalId) as {
        seq: number;
      }[]
    ).map((r) => r.seq);
  }

  private key(storeId: string, terminalId: string, pem: string): KeyObject {
    const id = `${storeId}/${terminalId}`;
    let key = this.keys.get(id);
    if (!key) {
      key = parseEd25519PublicKey(pem);
      this.keys.set(id, key);
    }
    return key;
  }

  ingest(
    storeId: string,
    terminalId: string,
    records: readonly LedgerRecord[],
    payloads?: readonly string[],
  ): IngestResult {
    return this.ingestMany([{ storeId, terminalId, records, ...(payloads ? { payloads } : {}) }])[0]!;
  }

  /**
   * Group commit: several batches (any terminals, in arrival order) in one transaction, so one
   * durable commit (fsync) covers them all. Acks must be sent only after this returns.
   */
  ingestMany(batches: readonly IngestBatch[]): IngestResult[] {
    return this.db
      .transaction(() => {
        const results = batches.map((b) => this.ingestLocked(b));
        this.enforcement.afterIngest(batches, results);
        return results;
      })
      .immediate();
  }

  /** A terminal's stored tip, or undefined if it is not enrolled. */
  private tip(storeId: string, terminalId: string): TerminalTip | undefined {
    const row = this.q.terminal.get(storeId, terminalId) as
      | { num: number; public_key: string; last_seq: number; last_hash: string; revoked_at: string | null }
      | undefined;
    return (
      row && {
        num: row.num,
        publicKey: row.public_key,
        lastSeq: row.last_seq,
        lastHash: row.last_hash,
        revokedAt: row.revoked_at,
      }
    );
  }

  private ingestLocked(batch: IngestBatch): IngestResult {
    const { storeId, terminalId, records } = batch;
    const tip = this.tip(storeId, terminalId);
    if (!tip) {
      this.alert(
        storeId,
        terminalId,
        'unknown_terminal',
        null,
        'records from a terminal that is not enrolled',
      );
      return {
        ackSeq: 0,
        accepted: [],
        duplicates: 0,
        unitEvents: 0,
        problem: { code: 'unknown_terminal', seq: 0, message: 'not enrolled' },
      };
    }
    if (tip.revokedAt !== null) {
      // Keyed by the batch's first seq: a terminal resending the same batch raises one alert.
      const seq = records[0]?.seq ?? null;
      this.alert(
        storeId,
        terminalId,
        'revoked_terminal',
        seq,
        `records from a terminal revoked at ${tip.revokedAt}`,
      );
      return {
        ackSeq: tip.lastSeq,
        accepted: [],
        duplicates: 0,
        unitEvents: 0,
        problem: { code: 'revoked_terminal', seq: seq ?? 0, message: `revoked at ${tip.revokedAt}` },
      };
    }
    if (batch.holdIfEarly && startsBeyondTip(batch, tip.lastSeq)) return heldResult(tip.lastSeq);
    const { accepted, payloads, duplicates, problem } = this.check(batch, tip);
    if (duplicates > 0) this.checkDuplicates(storeId, terminalId, tip.num, records, tip.lastSeq);
    const unitEvents = this.store(batch, tip.num, accepted, payloads);
    if (problem) this.alert(storeId, terminalId, problem.code, problem.seq, problem.message);
    const last = accepted.at(-1);
    return {
      ackSeq: last?.seq ?? tip.lastSeq,
      accepted,
      duplicates,
      unitEvents,
      ...(problem ? { problem } : {}),
    };
  }

  /** Which of a batch's records extend the chain after `tip` (storage/chain-check.ts, shared by every engine). */
  private check(batch: IngestBatch, tip: TerminalTip): ChainCheck {
    return checkChain(
      batch,
      tip,
      this.key(batch.storeId, batch.terminalId, tip.publicKey),
      this.options.signatureCheck,
    );
  }

  /**
   * Stores accepted records (always a contiguous run) as one batch row of JSON columns, each
   * record's canonical payload text as is; the unit events each record's decoder says it implies
   * (see `unitEventsOf`); the new tip. Returns how many unit events were added.
   */
  private store(
    batch: IngestBatch,
    terminal: number,
    records: readonly LedgerRecord[],
    payloads: readonly string[],
  ): number {
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) return 0;
    const nowMs = Date.now();
    const column = (field: 'id' | 'type' | 'at' | 'signature') =>
      JSON.stringify(records.map((r) => r[field]));
    this.q.insertBatch.run(
      terminal,
      first.seq,
      last.seq,
      column('id'),
      column('type'),
      column('at'),
      column('signature'),
      `[${payloads.join(',')}]`,
      records.map((r) => r.hash).join(''),
      nowMs,
    );
    let events = 0;
    for (const r of records) events += this.unitEventsOf(batch, r);
    this.q.advance.run(last.seq, last.hash, new Date(nowMs).toISOString(), terminal);
    return events;
  }

  /**
   * Decodes an accepted record with its type's decoder (shared with the terminal) and adds one
   * unit event per state change it implies: a write-off `sold`, each line of a return `active`.
   * Events are unique per record and unit, so a re-ingest adds nothing. A payload the decoder
   * refuses raises an `undecodable_record` alert naming the field, and implies nothing.
   */
  private unitEventsOf(batch: IngestBatch, r: LedgerRecord): number {
    const decoded = decodePayload(r.type, r.payload);
    if (!decoded.ok) {
      this.alert(
        batch.storeId,
        batch.terminalId,
        UNDECODABLE_RECORD,
        r.seq,
        `record ${r.id}: ${decoded.message}`,
      );
      return 0;
    }
    let added = 0;
    for (const change of decoded.unitChanges) {
      added += this.q.unitEvent.run(
        change.key,
        change.status,
        batch.storeId,
        batch.terminalId,
        r.at,
        r.id,
      ).changes;
    }
    return added;
  }

  /** A resent record must be the one stored: a different hash under the same seq is a forked chain. */
  private checkDuplicates(
    storeId: string,
    terminalId: string,
    terminal: number,
    records: readonly LedgerRecord[],
    upTo: number,
  ): void {
    const fromRows = this.db.prepare('SELECT hash FROM up_record_rows WHERE terminal = ? AND seq = ?');
    const fromBatches = this.db.prepare(
      `SELECT substr(hashes, (:seq - first_seq) * 64 + 1, 64) AS hash FROM up_record_batches
       WHERE terminal = :terminal AND first_seq <= :seq AND last_seq >= :seq ORDER BY first_seq DESC LIMIT 1`,
    );
    for (const r of records) {
      if (r.seq > upTo) break;
      const row = (fromRows.get(terminal, r.seq) ?? fromBatches.get({ terminal, seq: r.seq })) as
        | { hash: string }
        | undefined;
      if (row && row.hash !== r.hash)
        this.alert(storeId, terminalId, 'conflict', r.seq, 'resent record differs from the stored one');
    }
  }
}
