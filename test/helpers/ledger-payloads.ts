import type { ReceiptPrintedPayload, SaleLinePayload, SalePayload } from '../../terminal/ledger/payloads.js';

/**
 * Well-formed payloads for tests that append records by hand: what the checkout itself writes, so
 * the ledger's reads and upstream's decoders (terminal/ledger/record-decoders.ts) accept them.
 */
export function saleLine(codeKey: string): SaleLinePayload {
  return { codeKey, codeTail: codeKey.slice(-4), reason: 'active', verdict: 'genuine' };
}

export function salePayload(codeKeys: readonly string[], extra: Partial<SalePayload> = {}): SalePayload {
  return { ...extra, lines: codeKeys.map(saleLine) };
}

/** A receipt_printed payload: filler for tests that need many small, valid records. */
export function receiptPrinted(i: number, extra: Record<string, unknown> = {}): ReceiptPrintedPayload {
  return { ...extra, saleId: `sale-${i}` };
}
