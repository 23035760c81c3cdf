import iconv from 'iconv-lite';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { SimulatedPrinterDevice } from '../../../drivers/printer/simulated-device.js';
import type { ReceiptDocument } from '../../../terminal/receipts/document.js';
import { getProfile, PROFILE_IDS } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';
import { testPageDocument } from '../../../terminal/receipts/test-page.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function printed(bytes: Uint8Array) {
  const device = new SimulatedPrinterDevice();
  device.receive(bytes);
  return device.receipts;
}

describe('renderReceipt', () => {
  it('encodes 正品 as GB18030 D5 FD C6 B7 after FS & on a printer with a Chinese font', () => {
    expect(hex(iconv.encode('正品', 'gb18030'))).toBe('d5fdc6b7');
    const bytes = renderReceipt({ blocks: [{ type: 'text', text: '正品' }] }, getProfile('xprinter-58'));
    // ESC @, FS &, then the text and LF.
    expect(hex(bytes)).toBe('1b401c26d5fdc6b70a');
  });

  it('aligns columns counting wide characters as two columns', () => {
    const doc: ReceiptDocument = {
      blocks: [
        { type: 'columns', columns: [{ text: '牛奶' }, { text: '1.00', width: 6, align: 'right' }] },
        { type: 'columns', columns: [{ text: 'Milk' }, { text: '1.00', width: 6, align: 'right' }] },
        { type: 'cut' },
      ],
    };
    const [receipt] = printed(renderReceipt(doc, getProfile('xprinter-58')));
    // 32 columns: 牛奶 is 4 columns wide, like Milk, so both prices end at column 32.
    expect(receipt!.lines).toEqual([`牛奶${' '.repeat(24)}1.00`, `Milk${' '.repeat(24)}1.00`]);
  });

  it('wraps long Chinese text at 32 columns on 58 mm paper without splitting a character', () => {
    const text = '这是一张很长的中文收据行需要换行才能打印完整的内容';
    const [receipt] = printed(
      renderReceipt({ blocks: [{ type: 'text', text }, { type: 'cut' }] }, getProfile('xprinter-58')),
    );
    expect(receipt!.lines[0]).toBe(text.slice(0, 16));
    expect(receipt!.lines.join('')).toBe(text);
  });

  it('prints Chinese lines as raster images on printers without a Chinese font', () => {
    const doc: ReceiptDocument = {
      blocks: [{ type: 'text', text: '正品 Genuine' }, { type: 'text', text: 'Plain' }, { type: 'cut' }],
    };
    const bytes = renderReceipt(doc, getProfile('epson-tm-t88'));
    expect(hex(bytes)).not.toContain('d5fdc6b7');
    const [receipt] = printed(bytes);
    expect(receipt!.images).toEqual([{ widthDots: 512, heightDots: 24 }]);
    expect(receipt!.lines).toEqual(['Plain']);
  });

  it('fails clearly when the CJK font is missing', () => {
    expect(() =>
      renderReceipt({ blocks: [{ type: 'text', text: '正品' }] }, getProfile('generic'), {
        fontPath: '/nope/font.ttc',
      }),
    ).toThrow(/CJK font not found at \/nope\/font.ttc/);
  });

  it('renders QR, barcode, bold, size, drawer pulse and cut', () => {
    const doc: ReceiptDocument = {
      blocks: [
        { type: 'text', text: 'TOTAL', bold: true, width: 2, height: 2, align: 'center' },
        { type: 'qr', data: 'https://id.example/01/09506000134352/21/ABC' },
        { type: 'barcode', data: '4006381333931', symbology: 'ean13' },
        { type: 'drawer' },
        { type: 'cut', partial: true },
      ],
    };
    const bytes = renderReceipt(doc, getProfile('generic'));
    expect(hex(bytes)).toContain('1d2111'); // GS ! 0x11: double width and height
    const [receipt] = printed(bytes);
    expect(receipt!.boldLines).toEqual([`${' '.repeat(9)}TOTAL`]);
    expect(receipt!.qrCodes).toEqual(['https://id.example/01/09506000134352/21/ABC']);
    expect(receipt!.barcodes).toEqual([{ symbology: 2, data: '4006381333931' }]);
    expect(receipt!.drawerPulses).toBe(1);
    expect(receipt!.cut).toBe(true);
  });

  it('test page: the ruler fills exactly one line on every profile', () => {
    for (const id of PROFILE_IDS) {
      const profile = getProfile(id);
      const [receipt] = printed(renderReceipt(testPageDocument({ terminalId: 'T-1', profile }), profile));
      const ruler = receipt!.lines.find((l) => l.startsWith('1234567890'));
      expect(ruler).toHaveLength(profile.columns);
      expect(receipt!.qrCodes).toEqual(['veriterm:test:T-1']);
    }
  });

  it('scales a logo to its print width and pads it to whole bytes and 8-row bands', () => {
    const png = new PNG({ width: 10, height: 5 });
    png.data.fill(0); // black, opaque after the alpha fix below
    for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
    const doc: ReceiptDocument = {
      blocks: [{ type: 'image', png: new Uint8Array(PNG.sync.write(png)), widthDots: 100 }, { type: 'cut' }],
    };
    const [receipt] = printed(renderReceipt(doc, getProfile('xprinter-58')));
    expect(receipt!.images).toEqual([{ widthDots: 104, heightDots: 56 }]);
    expect(() =>
      renderReceipt({ blocks: [{ type: 'image', png: Uint8Array.of(1, 2, 3) }] }, getProfile('generic')),
    ).toThrow(/not a readable PNG/);
  });

  it('rejects unknown profiles naming the expected ones', () => {
    expect(() => getProfile('tm-1')).toThrow(
      /Expected one of: epson-tm-t88, xprinter-58, xprinter-80, pos-58, generic/,
    );
  });
});
