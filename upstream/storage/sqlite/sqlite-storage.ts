import { migrate, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import { DeliveryLog } from '../../delivery-log.js';
import { EnrolmentStore } from '../../enrolment-store.js';
import { type IngestOptions, IngestStore } from '../../ingest-store.js';
import { activeWriteOffs, ingestWithRecoveryAlerts, ledgerTip } from '../../ledger-recovery.js';
import type {
  DeliveryStorage,
  EnrolmentStorage,
  IngestStorage,
  PublisherLease,
  ReleaseStorage,
  UpstreamStorage,
} from '../contract.js';
import { hasDeliveryFacts } from '../delivery-types.js';
import { FileReleaseStorage, NO_RELEASES } from './file-releases.js';
import { SqliteTransferQueue } from './sqlite-transfers.js';

/** Replay protection of signed revocation requests (upstream/revocation.ts); append-only steps. */
const NONCE_MIGRATIONS = [
  'CREATE TABLE up_revoke_nonces (nonce TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, at TEXT NOT NULL)',
];

/**
 * The embedded engine: upstream's SQLite file (the default of `npm start` and small shops), as
 * IngestStore and EnrolmentStore have always kept it. Every call runs synchronously inside its
 * promise, each ingest one IMMEDIATE transaction, so several processes on one file stay safe.
 */
export class SqliteUpstreamStorage implements UpstreamStorage {
  readonly engine = 'sqlite' as const;
  /** The synchronous store underneath: tests and tools of the embedded engine read it directly. */
  readonly store: IngestStore;
  readonly ingest: IngestStorage;
  readonly enrolment: EnrolmentStorage;
  readonly deliveries: DeliveryStorage;
  readonly publisherLease: PublisherLease;
  readonly releases: ReleaseStorage;

  constructor(
    readonly db: SqliteDatabase,
    options: IngestOptions & {
      closeDb?: boolean;
      /** `{data}/registry`: the release directories. Without it, no releases (and none may be added). */
      releasesDir?: string | undefined;
      /** Chunk size of the releases' transfers. @default 262144 */
      chunkBytes?: number | undefined;
    } = {},
  ) {
    const store = new IngestStore(db, options);
    this.store = store;
    let noncesReady = false;
    this.ingest = {
      ingest: async (batches) => ingestWithRecoveryAlerts(store, batches),
      alert: async (s, t, kind, seq, message) => store.alert(s, t, kind, seq, message),
      alerts: async () => store.alerts(),
      enrol: async (s, t, key) => store.enrol(s, t, key),
      revoke: async (s, t, at) => store.revoke(s, t, at),
      reinstate: async (s, t) => store.reinstate(s, t),
      revokedTerminals: async () => store.revokedTerminals(),
      enrolment: async (s, t) => store.enrolment(s, t),
      rememberRevocationNonce: async (nonce, s, t, at) => {
        if (!noncesReady) migrate(db, 'upstream-revocation', NONCE_MIGRATIONS);
        noncesReady = true;
        return (
          db
            .prepare(
              'INSERT OR IGNORE INTO up_revoke_nonces (nonce, store_id, terminal_id, at) VALUES (?, ?, ?, ?)',
            )
            .run(nonce, s, t, at.toISOString()).changes === 1
        );
      },
      lastSeq: async (s, t) => store.lastSeq(s, t),
      sequences: async (s, t) => store.sequences(s, t),
      ledgerTip: async (s, t) => ledgerTip(db, s, t),
      activeWriteOffs: async (s, t, afterSeq, limit) => activeWriteOffs(db, s, t, afterSeq, limit),
      unpublishedUnitEvents: async (limit) => store.unpublishedUnitEvents(limit),
      markPublished: async (ids, version) => store.markPublished(ids, version),
    };
    const codes = new EnrolmentStore(db);
    this.enrolment = {
      issue: async (input) => codes.issue(input),
      latest: async (s, t) => codes.latest(s, t),
      consume: async (id, now) => codes.consume(id, now),
      fail: async (id) => codes.fail(id),
      recordTerminal: async (t) => codes.recordTerminal(t),
      terminal: async (s, t) => codes.terminal(s, t),
    };
    this.deliveries = sqliteDeliveries(db);
    // One process per file publishes (a second process on the same file is told by config,
    // `publishRegistry: false`), so the lease is always ours.
    let held = true;
    this.publisherLease = {
      tryAcquire: async () => {
        held = true;
        return true;
      },
      held: () => held,
      confirm: async () => held,
      release: async () => {
        held = false;
      },
    };
    this.releases = options.releasesDir
      ? new FileReleaseStorage(options.releasesDir, options.chunkBytes)
      : NO_RELEASES;
    this.closeDb = options.closeDb ?? false;
  }

  private readonly closeDb: boolean;

  async close(): Promise<void> {
    if (this.closeDb && this.db.open) this.db.close();
  }
}

/**
 * Delivery notes on the file: the delivery log (delivery-log.ts) and the transfer queue, each with
 * its own migration module, migrated on open as IngestStore's tables are (a running upstream has
 * them before `veriterm upstream deliveries` opens the file beside it).
 */
function sqliteDeliveries(db: SqliteDatabase): DeliveryStorage {
  const notes = new DeliveryLog(db);
  const transfers = new SqliteTransferQueue(db);
  return {
    recordSent: async (note) => notes.recordSent(note),
    recordOutcome: async (s, t, outcome) => notes.recordOutcome(s, t, outcome),
    note: async (id) => notes.note(id),
    noteRecords: async (s, t, records) => {
      if (hasDeliveryFacts(records)) notes.noteRecords(s, t, records);
    },
    list: async (filter) => notes.list(filter),
    transfers: {
      add: async (note, refused) => transfers.add(note, refused),
      get: async (id) => transfers.get(id),
      pendingOf: async (toStore, deliveryId) => transfers.pendingOf(toStore, deliveryId),
      claim: async (id, terminalId, at, sentBefore) => transfers.claim(id, terminalId, at, sentBefore),
      settle: async (id, state, code, message) => transfers.settle(id, state, code, message),
      list: async (filter) => transfers.list(filter),
    },
  };
}
