import { type ReceiptDocument, receiptDocumentSchema } from '../receipts/document.js';

/** Receipt documents as JSON for the queue table: byte arrays (logos) as `{ "$base64": … }`. */
export function documentToJson(doc: ReceiptDocument): string {
  return JSON.stringify(doc, (_key, value: unknown) =>
    value instanceof Uint8Array ? { $base64: Buffer.from(value).toString('base64') } : value,
  );
}

export function documentFromJson(json: string): ReceiptDocument {
  const raw: unknown = JSON.parse(json, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && '$base64' in value && typeof value.$base64 === 'string'
      ? new Uint8Array(Buffer.from(value.$base64, 'base64'))
      : value,
  );
  return receiptDocumentSchema.parse(raw);
}
