import type { LedgerRecord } from '../../terminal/ledger/types.js';
import type { LedgerTip, WriteOffPage } from '../../terminal/sync/ledger-protocol.js';
import type { Announcement, DeliveryOutcome, ReleaseRef } from '../../terminal/sync/protocol.js';
import type { PendingCode } from '../enrolment-store.js';
import type {
  DeliveryListing,
  NewSentNote,
  NewTransferNote,
  SentNote,
  TransferNoteRow,
  TransferNoteState,
} from './delivery-types.js';
import type { IngestBatch, IngestResult, UnitEvent } from './ingest-types.js';

/**
 * The reference upstream's storage, one contract for every engine (SQLite embedded, PostgreSQL for
 * chains): what ingest, enrolment, revocation and the registry publisher need. Every method is
 * async so an engine may sit across a network; the SQLite engine answers synchronously inside.
 *
 * Guarantees every engine keeps (test/contracts/upstream-storage.contract.test.ts checks them):
 * - `ingest` stores a terminal's record only when it extends that terminal's verified chain by
 *   exactly one (seq, prevHash, hash, signature with the enrolled key); a resend of stored records
 *   counts as duplicates and a differing resend raises a `conflict` alert (a forked chain); a
 *   gap, a broken link, a bad hash or signature stop the batch there with an alert. The whole
 *   call (every batch in it) is one transaction: all of it is stored, or nothing.
 * - Several workers (processes, machines) may call `ingest` at once on one database: each
 *   terminal's chain tip is locked for the transaction, so a record is stored exactly once, in
 *   chain order, whoever ingests it.
 * - Alerts are unique per (store, terminal, kind, seq): the same fault resent raises one alert.
 * - Delivery notes are shared by every worker on the database: a note sent by one worker takes
 *   the first outcome whichever worker records it, a receipt or diversion alert is kept once per
 *   record id, a transfer note once per record and sent by one worker at a time.
 */
export interface UpstreamStorage {
  /** `sqlite` or `postgres`: for logs and `doctor`. */
  readonly engine: 'sqlite' | 'postgres';
  readonly ingest: IngestStorage;
  readonly enrolment: EnrolmentStorage;
  /** Delivery notes sent and their outcomes, receipts, diversion alerts, transfer notes owed. */
  readonly deliveries: DeliveryStorage;
  /** Which worker publishes registry deltas (one at a time across every worker). */
  readonly publisherLease: PublisherLease;
  /** The signed registry releases (snapshots and deltas) announced and served to terminals. */
  readonly releases: ReleaseStorage;
  /** Releases what the storage holds (connections, file handles). Idempotent. */
  close(): Promise<void>;
}

export type Alert = {
  storeId: string;
  terminalId: string;
  kind: string;
  seq: number | null;
  message: string;
};

/** Record ingest, alerts, unit events, terminal keys and their revocation. */
export interface IngestStorage {
  /**
   * Ingests batches (any terminals, in arrival order) in one transaction and returns one result
   * per batch. Accepted `alert` records of kind `ledger_recovered` raise a `ledger_recovered`
   * alert in the same transaction (upstream/ledger-recovery.ts).
   */
  ingest(batches: readonly IngestBatch[]): Promise<IngestResult[]>;
  /** Raises an alert (idempotent per store, terminal, kind and seq). */
  alert(
    storeId: string,
    terminalId: string,
    kind: string,
    seq: number | null,
    message: string,
  ): Promise<void>;
  /** Every alert, oldest first. */
  alerts(): Promise<Alert[]>;

  /** Enrols (or re-keys) a terminal for ingest; its chain starts at the genesis hash. Throws on a bad key. */
  enrol(storeId: string, terminalId: string, publicKey: string): Promise<void>;
  /** Marks an enrolled terminal revoked (the first time stays); false when it is not enrolled. */
  revoke(storeId: string, terminalId: string, at?: Date): Promise<boolean>;
  /** Lifts a revocation (a fresh enrolment of the same terminal ids). */
  reinstate(storeId: string, terminalId: string): Promise<void>;
  revokedTerminals(): Promise<{ storeId: string; terminalId: string; revokedAt: string }[]>;
  /** The enrolled key and revocation time, or undefined when not enrolled. */
  enrolment(
    storeId: string,
    terminalId: string,
  ): Promise<{ publicKey: string; revokedAt: string | null } | undefined>;
  /** Remembers a revocation request's nonce; false when it was seen before (a replay). */
  rememberRevocationNonce(nonce: string, storeId: string, terminalId: string, at: Date): Promise<boolean>;

  /** Highest stored sequence of a terminal (0 when none or not enrolled). */
  lastSeq(storeId: string, terminalId: string): Promise<number>;
  /** Stored sequences of a terminal in order (tests and audits: exactly once, in order). */
  sequences(storeId: string, terminalId: string): Promise<number[]>;
  /** Where the stored chain ends, with the enrolled key: `ledger/req` op `tip`. */
  ledgerTip(storeId: string, terminalId: string): Promise<LedgerTip | undefined>;
  /** Write-offs after `afterSeq` no return of the same terminal took back: `ledger/req` op `write_offs`. */
  activeWriteOffs(
    storeId: string,
    terminalId: string,
    afterSeq: number,
    limit: number,
  ): Promise<WriteOffPage>;

  /** Unit events (sold / active / received) not yet published in a registry delta, oldest first. */
  unpublishedUnitEvents(limit?: number): Promise<UnitEvent[]>;
  markPublished(ids: readonly number[], version: number): Promise<void>;
}

/** One-time enrolment codes and the terminals they enrolled (upstream/enrolment-service.ts). */
export interface EnrolmentStorage {
  /** Issues a code for one terminal; an open code for the same terminal is replaced. */
  issue(input: {
    code: string;
    storeId: string;
    terminalId: string;
    scope: string;
    ttlMs: number;
    now?: Date;
  }): Promise<PendingCode>;
  /** The newest code for a terminal (used or not). */
  latest(storeId: string, terminalId: string): Promise<PendingCode | undefined>;
  /** Marks a code used; false when another worker used it first (single use across workers). */
  consume(id: number, now?: Date): Promise<boolean>;
  /** Counts a failed attempt; returns the new count. */
  fail(id: number): Promise<number>;
  recordTerminal(t: {
    storeId: string;
    terminalId: string;
    role: string;
    publicKey: string;
    now?: Date;
  }): Promise<void>;
  terminal(
    storeId: string,
    terminalId: string,
  ): Promise<{ role: string; publicKey: string; keyId: string } | undefined>;
}

/**
 * Delivery notes (docs/receiving.md "Sending notes"): what `DeliverySender` sent and each note's
 * outcome, the goods receipts and diversion alerts ingest accepted, for `veriterm upstream deliveries`.
 */
export interface DeliveryStorage {
  /** Keeps a note about to be published (idempotent per note id): before publishing, so any worker can record its outcome. */
  recordSent(note: NewSentNote): Promise<void>;
  /**
   * Records a note's outcome: true when it was the note's first outcome and the note was addressed
   * to this terminal. The first wins across workers (a QoS 1 redelivery answered `replayed` must
   * not overwrite the `accepted` before it; every worker receives every outcome).
   */
  recordOutcome(storeId: string, terminalId: string, outcome: DeliveryOutcome): Promise<boolean>;
  note(id: string): Promise<SentNote | undefined>;
  /**
   * Keeps the receipts and diversion alerts among records ingest accepted (idempotent per record
   * id: a re-ingest or another worker adds nothing); other records are skipped without a query.
   */
  noteRecords(storeId: string, terminalId: string, records: readonly LedgerRecord[]): Promise<void>;
  /** Notes (oldest first) with their receipts, other receipts, diversion alerts; of one store when given. */
  list(filter?: { storeId?: string }): Promise<DeliveryListing>;
  readonly transfers: TransferQueueStorage;
}

/** Transfer notes owed to receiving stores (upstream/transfer-forwarder.ts), keyed by the `stock_out` record id. */
export interface TransferQueueStorage {
  /** Keeps a note (`pending`, or `refused` with a code when it must never be sent); false when kept before. */
  add(note: NewTransferNote, refused?: { code: string; message: string }): Promise<boolean>;
  get(recordId: string): Promise<(TransferNoteRow & { body: string }) | undefined>;
  /** Record ids of the pending notes to `toStore` (of one delivery id when given), oldest first. */
  pendingOf(toStore: string, deliveryId?: string): Promise<string[]>;
  /**
   * Takes a pending note for one send to `terminalId` (attempts + 1, last sent `at`): false when it
   * is no longer pending, or when `sentBefore` is given and it was sent after that (another worker
   * just sent it). One row update, so two workers never both take the same retry.
   */
  claim(recordId: string, terminalId: string, at: string, sentBefore?: string): Promise<boolean>;
  /** Ends a pending note as delivered or refused; false when it was no longer pending. */
  settle(
    recordId: string,
    state: Exclude<TransferNoteState, 'pending'>,
    code: string | null,
    message: string | null,
  ): Promise<boolean>;
  /** Every note (oldest first); those to or from `storeId` when given. */
  list(filter?: { storeId?: string }): Promise<TransferNoteRow[]>;
}

/**
 * Exactly one holder at a time among the workers sharing a database (PostgreSQL: a session
 * advisory lock, released by the server when the holder's connection dies; SQLite: the one
 * process on the file always holds it).
 */
export interface PublisherLease {
  /** Takes the lease if it is free (or already ours); true while this worker holds it. */
  tryAcquire(): Promise<boolean>;
  /** Whether this worker holds it as far as it knows (false once its connection was lost). */
  held(): boolean;
  /**
   * Asks the database whether this worker still holds it (a connection silently cut, then ended
   * by the server, loses the lock without telling us): checked before each delta is published.
   */
  confirm(): Promise<boolean>;
  /** Gives it up (idempotent). */
  release(): Promise<void>;
}

/** A release to add: a snapshot of `version`, or a delta `from` → `version`. */
export type NewRelease =
  | { kind: 'snapshot'; version: number }
  | { kind: 'delta'; from: number; version: number };

/** One file of a release, byte for byte (the registry module signs and verifies them; here they are opaque). */
export interface ReleaseFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * The registry releases of every scope (SQLite engine: files under `{data}/registry/`, as
 * `veriterm registry build|delta` writes them; PostgreSQL: rows every worker reads). Releases are
 * immutable once added: a worker may cache what it read of them.
 *
 * Guarantees every engine keeps:
 * - a scope's version is the highest version of any of its releases; a delta is added only onto
 *   it (`from` = the current version, or 0 for a scope without releases), so two publishers
 *   racing to append the next delta cannot fork the chain: one wins, the other's `add` rejects
 *   with a `ReleaseConflictError` (`version_taken`) and nothing of it is stored;
 * - a release appears whole or not at all; adding an id that exists rejects (`release_exists`);
 * - the announcement lists the newest snapshot and the last `MAX_ANNOUNCED_DELTAS` deltas by
 *   `from`, each file described with its size, SHA-256 and the SHA-256 of every chunk.
 */
export interface ReleaseStorage {
  /** Scopes that have releases (the SQLite engine: every directory under `{data}/registry/`). */
  scopes(): Promise<string[]>;
  /** The scope's current version, or undefined when it has no release. */
  version(scope: string): Promise<number | undefined>;
  /** What to retain on `vt/registry/{scope}/manifest`, or undefined when the scope has no release. */
  announcement(scope: string): Promise<Announcement | undefined>;
  /** One release's description, or undefined when it does not exist. */
  release(scope: string, id: string): Promise<ReleaseRef | undefined>;
  /** One chunk's bytes, or undefined when scope, release, file or index do not exist (or are malformed). */
  chunk(scope: string, releaseId: string, fileName: string, index: number): Promise<Buffer | undefined>;
  /** One whole file, or undefined when it does not exist. */
  file(scope: string, releaseId: string, fileName: string): Promise<Buffer | undefined>;
  /** Adds a release atomically and describes it; rejects as described above (nothing stored then). */
  add(scope: string, release: NewRelease, files: readonly ReleaseFile[]): Promise<ReleaseRef>;
  /** Every release id of a scope, announced or not. */
  list(scope: string): Promise<string[]>;
  /**
   * Deletes a release (the publisher retires snapshots and deltas no announcement lists any more).
   * The scope's version stays. Workers that cached its chunks may still serve them (they were true).
   */
  remove(scope: string, id: string): Promise<void>;
}
