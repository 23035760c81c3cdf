import { decodePayload } from '../../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import type { DeliveryOutcome } from '../../terminal/sync/protocol.js';

/** What upstream keeps of delivery notes on every engine (contract.ts `DeliveryStorage`). */
export type SentNoteStatus = 'sent' | DeliveryOutcome['status'];

export interface SentNote {
  id: string;
  deliveryId: string;
  storeId: string;
  terminalId: string;
  units: number;
  sentAt: string;
  expiresAt: string;
  status: SentNoteStatus;
  code: string | null;
  message: string | null;
  outcomeAt: string | null;
}

/** A note as `DeliverySender` records it before publishing (no outcome yet). */
export type NewSentNote = Omit<SentNote, 'status' | 'code' | 'message' | 'outcomeAt'>;

export interface ReceiptSeen {
  recordId: string;
  storeId: string;
  terminalId: string;
  seq: number;
  deliveryId: string;
  outcome: 'complete' | 'partial';
  expectedUnits: number;
  acceptedUnits: number;
  exceptions: number;
  at: string;
}

export interface DiversionSeen {
  recordId: string;
  storeId: string;
  terminalId: string;
  seq: number;
  codeKey: string | null;
  reason: string | null;
  at: string;
}

/** A delivery as `veriterm upstream deliveries` lists it: the note sent and its receipts. */
export interface DeliveryListing {
  notes: (SentNote & { receipts: ReceiptSeen[] })[];
  /** Receipts of deliveries this upstream did not send (imported from a file at the store). */
  otherReceipts: ReceiptSeen[];
  diversions: DiversionSeen[];
}

export type TransferNoteState = 'pending' | 'delivered' | 'refused';

/** A transfer's note owed to the receiving store (upstream/transfer-forwarder.ts). */
export interface TransferNoteRow {
  recordId: string;
  deliveryId: string;
  fromStore: string;
  fromTerminal: string;
  toStore: string;
  units: number;
  state: TransferNoteState;
  terminalId: string | null;
  attempts: number;
  lastSentAt: string | null;
  code: string | null;
  message: string | null;
  createdAt: string;
}

/** A transfer note as the forwarder keeps it: `body` is the note body as JSON text. */
export interface NewTransferNote {
  recordId: string;
  deliveryId: string;
  fromStore: string;
  fromTerminal: string;
  toStore: string;
  units: number;
  body: string;
  createdAt: string;
}

/**
 * The receipts and diversion alerts among records ingest accepted, as the listing keeps them.
 * Payloads the shared decoder refuses are skipped: ingest already raised its `undecodable_record`
 * alert for them.
 */
export function deliveryFacts(
  storeId: string,
  terminalId: string,
  records: readonly LedgerRecord[],
): { receipts: ReceiptSeen[]; diversions: DiversionSeen[] } {
  const receipts: ReceiptSeen[] = [];
  const diversions: DiversionSeen[] = [];
  for (const r of records) {
    if (r.type !== 'receipt' && r.type !== 'alert') continue;
    const decoded = decodePayload(r.type, r.payload);
    if (!decoded.ok) continue;
    if (decoded.type === 'receipt') {
      const p = decoded.payload;
      receipts.push({
        recordId: r.id,
        storeId,
        terminalId,
        seq: r.seq,
        deliveryId: p.deliveryId,
        outcome: p.outcome,
        expectedUnits: p.expectedUnits,
        acceptedUnits: decoded.unitChanges.length,
        exceptions: p.exceptions.length,
        at: r.at,
      });
    } else if (decoded.type === 'alert' && decoded.payload.kind === 'diversion') {
      const p = decoded.payload;
      diversions.push({
        recordId: r.id,
        storeId,
        terminalId,
        seq: r.seq,
        codeKey: p.codeKey ?? null,
        reason: p.reason ?? null,
        at: r.at,
      });
    }
  }
  return { receipts, diversions };
}

/** Whether any of `records` can be a receipt or a diversion alert (skips the storage call when none). */
export function hasDeliveryFacts(records: readonly LedgerRecord[]): boolean {
  return records.some((r) => r.type === 'receipt' || r.type === 'alert');
}

/**
 * The listing from its three sorted parts: each note with the receipts of its delivery (by store
 * and delivery id), and the receipts of deliveries no note was sent for.
 */
export function groupListing(
  notes: readonly SentNote[],
  receipts: readonly ReceiptSeen[],
  diversions: DiversionSeen[],
): DeliveryListing {
  const key = (storeId: string, deliveryId: string) => `${storeId}\u0000${deliveryId}`;
  const byDelivery = new Map<string, ReceiptSeen[]>();
  for (const r of receipts) {
    const k = key(r.storeId, r.deliveryId);
    byDelivery.set(k, [...(byDelivery.get(k) ?? []), r]);
  }
  const sent = new Set(notes.map((n) => key(n.storeId, n.deliveryId)));
  return {
    notes: notes.map((n) => ({ ...n, receipts: byDelivery.get(key(n.storeId, n.deliveryId)) ?? [] })),
    otherReceipts: receipts.filter((r) => !sent.has(key(r.storeId, r.deliveryId))),
    diversions,
  };
}
