import { describe, expect, it } from 'vitest';
import { EscPosDecoder, type PrintAction } from '../../../drivers/printer/escpos-decoder.js';
import { buildSaleReceipt } from '../../../terminal/lanes/checkout-receipt.js';
import type { ReceiptDocument } from '../../../terminal/receipts/document.js';
import { getProfile, PROFILE_IDS } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';

const sale = buildSaleReceipt({
  saleId: '01JD0000000000000000000000',
  at: '2026-12-07T08:30:00.000Z',
  storeName: 'VERITERM MARKET',
  terminalId: 'T-01',
  cashier: 'c1',
  lines: [
    {
      codeKey: '69012340000000012345',
      codeTail: '012345',
      productName: { 'zh-CN': '婴儿配方奶粉', en: 'Infant formula' },
      verdict: 'genuine',
      reason: 'active',
    },
  ],
}) as ReceiptDocument;

/** The printer's actions, as the fake printers decode them. */
function actions(bytes: Uint8Array): PrintAction[] {
  const out: PrintAction[] = [];
  new EscPosDecoder({ onStatusRequest: () => {}, onAction: (a) => out.push(a) }).push(bytes);
  return out;
}

/**
 * Blank lines between the last printed thing and the cut: ESC d n feeds, and line feeds that end no
 * text (the first LF after text ends that text's own line).
 */
function blankLinesBeforeCut(list: PrintAction[]): number {
  const cut = list.findIndex((a) => a.type === 'cut');
  let blank = 0;
  let lineOpen = false;
  for (const a of list.slice(0, cut)) {
    if (a.type === 'text' && a.bytes.some((b) => b !== 0x20)) {
      blank = 0;
      lineOpen = true;
    } else if (a.type === 'qr' || a.type === 'barcode' || a.type === 'image') {
      blank = 0;
      lineOpen = false;
    } else if (a.type === 'newline') {
      if (lineOpen) lineOpen = false;
      else blank += 1;
    } else if (a.type === 'feed') blank += a.lines;
  }
  return blank;
}

describe('the cut (ESC/POS GS V function B)', () => {
  for (const id of PROFILE_IDS) {
    it(`${id}: the sale receipt feeds no blank lines of its own before the cut; the printer feeds to its cutter`, () => {
      const bytes = renderReceipt(sale, getProfile(id));
      const list = actions(bytes);
      expect(list.filter((a) => a.type === 'cut')).toHaveLength(1);
      // Was 7: a 3-line feed block plus ESC d 4 before a plain GS V 0.
      expect(blankLinesBeforeCut(list)).toBe(0);
      // GS V 65 n (full cut, function B): feed to the cutting position + n units, then cut.
      const tail = [...bytes.slice(-4)];
      expect(tail).toEqual([0x1d, 0x56, 65, getProfile(id).cutFeedUnits]);
    });
  }

  it('a partial cut is GS V 66 n; a document that asks for a feed still gets exactly that feed', () => {
    const bytes = renderReceipt(
      {
        blocks: [
          { type: 'text', text: 'Hello' },
          { type: 'feed', lines: 2 },
          { type: 'cut', partial: true },
        ],
      },
      getProfile('generic', { cutFeedUnits: 12 }),
    );
    expect([...bytes.slice(-4)]).toEqual([0x1d, 0x56, 66, 12]);
    const list = actions(bytes);
    expect(blankLinesBeforeCut(list)).toBe(2);
    expect(list.find((a) => a.type === 'cut')).toEqual({ type: 'cut', partial: true });
  });
});
