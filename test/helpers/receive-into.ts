import type { SqliteDatabase } from '../../terminal/db/open-database.js';
import { VeritermError } from '../../terminal/errors.js';
import type { Ledger } from '../../terminal/ledger/ledger.js';
import { LedgerReads } from '../../terminal/ledger/ledger-reads.js';
import { type ReceivingLedger, ReceivingSession } from '../../terminal/receiving/checkin-service.js';
import { importDeliveryNote } from '../../terminal/receiving/import-note.js';
import type { DeliveryNoteInput } from '../../terminal/receiving/note-format.js';
import { ReceivingStore } from '../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../terminal/registry/testing/memory-registry.js';
import { SyncStore } from '../../terminal/sync/sync-store.js';
import { NOW, noteOf, STORE, signNote, upstreamKeys } from './receiving-fixture.js';

/**
 * Imports a signed delivery note into an existing terminal database (the one a checkout or a whole
 * terminal runs on) and opens its check-in session, so tests can receive units, put some aside and
 * close the delivery as a clerk would (terminal/receiving), then sell them at checkout.
 */
export function deliverInto(
  /** Without a ledger (a running terminal owns it) the delivery can be checked in, not closed. */
  t: { db: SqliteDatabase; ledger?: Ledger },
  note: Partial<DeliveryNoteInput> & { deliveryId: string },
): ReceivingSession {
  const keys = upstreamKeys();
  const store = new ReceivingStore(t.db);
  const imported = importDeliveryNote(signNote(noteOf(note), keys.privateKey), {
    store,
    nonces: new SyncStore(t.db),
    keys: [keys.publicKey],
    storeId: STORE,
    maxClockSkewMs: 60_000,
    nowMs: NOW,
  });
  if (!imported.ok) throw new VeritermError(imported.code, imported.message);
  const ledger = t.ledger ?? readOnlyLedger(t.db);
  return new ReceivingSession(
    { store, ledger, registry: new MemoryRegistry({ products: [], batches: [], units: [] }) },
    note.deliveryId,
  );
}

/**
 * Stands in for the ledger of a terminal running in another process: reads its write-offs from the
 * shared file; appending (closing the delivery) needs the real ledger.
 */
function readOnlyLedger(db: SqliteDatabase): ReceivingLedger {
  const reads = new LedgerReads(db);
  const refuse = (): never => {
    throw new VeritermError(
      'no_ledger',
      'this delivery was opened without a ledger: it cannot be closed here',
    );
  };
  return { writeOffsOf: (keys) => reads.writeOffsOf(keys), transaction: refuse, append: refuse };
}
