import type { SaleLinePayload } from '../ledger/payloads.js';
import { partText } from './split-pack.js';

/**
 * The receipt blocks checkout prints: a structural subset of terminal/receipts' ReceiptDocument
 * (text, columns, rule, qr, feed, cut), so it can be handed to the print queue as is.
 */
export type SaleReceiptBlock =
  | {
      type: 'text';
      text: string;
      bold?: boolean;
      align?: 'left' | 'center' | 'right';
      width?: number;
      height?: number;
    }
  | {
      type: 'columns';
      columns: { text: string; width?: number; align?: 'left' | 'center' | 'right' }[];
      bold?: boolean;
    }
  | { type: 'rule'; style?: 'single' | 'double' }
  | { type: 'qr'; data: string; size?: number; align?: 'left' | 'center' | 'right' }
  | { type: 'feed'; lines: number }
  | { type: 'cut'; partial?: boolean };

export interface SaleReceiptDocument {
  blocks: SaleReceiptBlock[];
}

/** How many trailing characters of a code the receipt shows (enough to match a pack, not to copy it). */
export const CODE_TAIL_LENGTH = 6;

export function codeTail(key: string): string {
  return key.slice(-CODE_TAIL_LENGTH);
}

/**
 * Verification mark per line: `[OK]` verified at sale, `[!]` sold on a manager override
 * (could not be confirmed). ASCII so every printer code page can print it.
 */
export function verificationMark(line: SaleLinePayload): string {
  return line.override ? '[!]' : '[OK]';
}

export interface SaleReceiptInput {
  saleId: string;
  at: string;
  storeName: string;
  terminalId: string;
  cashier?: string;
  lines: SaleLinePayload[];
}

/** Pure: the receipt for a committed sale. The QR code carries the sale id (the record's ULID). */
export function buildSaleReceipt(sale: SaleReceiptInput): SaleReceiptDocument {
  const blocks: SaleReceiptBlock[] = [
    { type: 'text', text: sale.storeName, bold: true, align: 'center', width: 2, height: 2 },
    {
      type: 'text',
      text: `${sale.at.slice(0, 19).replace('T', ' ')} UTC  ${sale.terminalId}`,
      align: 'center',
    },
    ...(sale.cashier
      ? [{ type: 'text' as const, text: `Cashier ${sale.cashier}`, align: 'center' as const }]
      : []),
    { type: 'rule', style: 'double' },
  ];
  sale.lines.forEach((line) => {
    const name = line.productName
      ? `${line.productName['zh-CN']} ${line.productName.en}`
      : (line.productKey ?? 'Item');
    blocks.push({ type: 'text', text: name });
    blocks.push({
      type: 'columns',
      columns: [
        // A split-pack line prints its part: "...123456 3/10 strips".
        { text: `  ...${line.codeTail}${line.part ? ` ${partText(line.part)}` : ''}` },
        { text: verificationMark(line), width: 5, align: 'right' },
      ],
    });
  });
  blocks.push(
    { type: 'rule' },
    {
      type: 'columns',
      columns: [{ text: 'Items' }, { text: String(sale.lines.length), align: 'right', width: 6 }],
      bold: true,
    },
    { type: 'text', text: '[OK] verified genuine at sale; [!] sold on manager override', align: 'left' },
    { type: 'qr', data: sale.saleId, size: 6, align: 'center' },
    { type: 'text', text: `Sale ${sale.saleId}`, align: 'center' },
    // No feed of our own: the cut feeds the last line past the cutter (GS V 65 n, receipts/render-escpos.ts).
    { type: 'cut' },
  );
  return { blocks };
}
