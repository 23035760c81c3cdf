import type { KeyObject } from 'node:crypto';
import { VeritermError } from '../terminal/errors.js';
import type { StockOutPayload } from '../terminal/ledger/payloads.js';
import { decodePayload } from '../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';
import { signCommand } from '../terminal/sync/command-signing.js';

export interface TransferNoteOptions {
  /** Upstream's command key: receiving terminals verify notes with the keys pinned for commands. */
  signingKey: KeyObject;
  keyId?: string;
  /** @default new Date() */
  now?: Date;
  /** How long the receiving store may take to import the note. @default 14 days */
  validForMs?: number;
}

const DEFAULT_VALID_MS = 14 * 86_400_000;

/**
 * The signed delivery note (docs/receiving.md, format version 1) with which the receiving store
 * checks in a transfer: built from an ingested, verified `stock_out` record of kind `transfer`.
 * The note is flat (loose units: the record lists units, not how they were packed), its delivery
 * id is `TR-` + the shipment id and its message id is derived from the record's id, so building it
 * again for the same record gives a note the receiving terminal answers `replayed` or
 * `already_imported`, never a second delivery. The sender is the shipping store (`supplier`).
 *
 * The hook for sending (the MQTT `deliveries` topic): call `transferNotesOf` with the records an
 * ingest accepted (`IngestResult.accepted`, where upstream notes receipts after each ingest) and
 * publish each note to its `storeId`'s terminals, or hand its `body` to a sender that signs.
 */
export function transferDeliveryNote(
  record: LedgerRecord,
  options: TransferNoteOptions,
): Record<string, unknown> {
  const { storeId, body } = transferNoteBody(record);
  const now = options.now ?? new Date();
  return signCommand(
    {
      v: 1,
      kind: 'delivery_note',
      id: `transfer-${record.id}`,
      target: { storeId },
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + (options.validForMs ?? DEFAULT_VALID_MS)).toISOString(),
      ...(options.keyId ? { keyId: options.keyId } : {}),
      note: body,
    },
    options.signingKey,
  );
}

/**
 * The note body (the envelope's `note`) a transfer record owes its receiving store, unsigned: for a
 * sender that signs bodies itself (upstream's `DeliverySender.send(target, body)` on the
 * `deliveries` topic). A typed fault when the record is not a decodable transfer.
 */
export function transferNoteBody(record: LedgerRecord): { storeId: string; body: Record<string, unknown> } {
  const decoded = decodePayload(record.type, record.payload);
  if (!decoded.ok) throw new VeritermError('payload_invalid', decoded.message);
  if (decoded.type !== 'stock_out' || decoded.payload.kind !== 'transfer')
    throw new VeritermError('not_a_transfer', `Record ${record.id} is not a stock_out of kind transfer`);
  const p: StockOutPayload = decoded.payload;
  const units = Object.entries(p.units).flatMap(([product, rests]) => rests.map((rest) => product + rest));
  return {
    storeId: p.toStoreId!,
    body: {
      deliveryId: `TR-${p.shipmentId}`,
      supplier: { id: record.storeId, name: `Transfer from store ${record.storeId}` },
      expectedArrival: record.at,
      units,
    },
  };
}

/**
 * The transfer notes owed for records an ingest accepted (other records are skipped): each with
 * its receiving store, its body (for a sender that signs) and the note signed here.
 */
export function transferNotesOf(
  accepted: readonly LedgerRecord[],
  options: TransferNoteOptions,
): { storeId: string; body: Record<string, unknown>; note: Record<string, unknown> }[] {
  const notes: { storeId: string; body: Record<string, unknown>; note: Record<string, unknown> }[] = [];
  for (const r of accepted) {
    if (r.type !== 'stock_out' || (r.payload as { kind?: unknown }).kind !== 'transfer') continue;
    // An undecodable record already raised upstream's `undecodable_record` alert at ingest.
    if (!decodePayload(r.type, r.payload).ok) continue;
    const { storeId, body } = transferNoteBody(r);
    notes.push({ storeId, body, note: transferDeliveryNote(r, options) });
  }
  return notes;
}
