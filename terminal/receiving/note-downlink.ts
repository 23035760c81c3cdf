import type { DeliveryNoteReceiver } from '../sync/delivery-downlink.js';
import { importDeliveryNote } from './import-note.js';
import type { ReceivingStore } from './receiving-store.js';

/**
 * Delivery notes arriving on the store's downlink (terminal/sync `deliveries` topic): checked and
 * stored exactly as a file import is (`importDeliveryNote`), with sync's pinned upstream keys and
 * its nonce table on terminal.db's connection, so a note and its nonce commit together and a
 * refused note leaves nothing behind.
 */
export function receiveDeliveryNotes(store: ReceivingStore): DeliveryNoteReceiver {
  return (raw, trust) =>
    importDeliveryNote(raw, {
      store,
      nonces: trust.nonces,
      keys: trust.keys,
      storeId: trust.storeId,
      maxClockSkewMs: trust.maxClockSkewMs,
      nowMs: trust.nowMs,
    });
}
