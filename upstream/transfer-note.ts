import { VeritermError } from '../terminal/errors.js';
import type { StockOutPayload } from '../terminal/ledger/payloads.js';
import { decodePayload } from '../terminal/ledger/record-decoders.js';
import type { LedgerRecord } from '../terminal/ledger/types.js';

/**
 * The delivery note body (docs/receiving.md, the envelope's `note`) with which the receiving store
 * checks in a transfer, built from an ingested, verified `stock_out` record of kind `transfer`:
 * flat (loose units: the record lists units, not how they were packed), delivery id `TR-` + the
 * shipment id, the shipping store as supplier. Upstream's transfer forwarder
 * (transfer-forwarder.ts) hands it to `DeliverySender`, which signs and sends it like any note; the
 * same delivery id sent again is `already_imported` at the store. A typed fault when the record is
 * not a decodable transfer.
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
