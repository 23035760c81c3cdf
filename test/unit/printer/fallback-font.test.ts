import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { SimulatedPrinterDevice } from '../../../drivers/printer/simulated-device.js';
import type { RgbaImage } from '../../../terminal/receipts/layout.js';
import { renderPreview } from '../../../terminal/receipts/preview.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { CELL_HEIGHT_DOTS, rasterizeTextLine } from '../../../terminal/receipts/raster-text.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '../../artifacts/printer');
const epson = getProfile('epson-tm-t88');
const cell = epson.widthDots / epson.columns;
const plain = { bold: false, underline: false, width: 1, height: 1 };

/** Dark pixels of the first wide character's cell (two columns) as a bit string. */
function firstCell(image: RgbaImage, left = 0, top = 0): string {
  let bits = '';
  for (let y = top; y < top + CELL_HEIGHT_DOTS; y++) {
    for (let x = left; x < left + 2 * cell; x++)
      bits += image.data[(y * image.width + x) * 4]! < 128 ? '1' : '0';
  }
  return bits;
}
const ink = (bits: string) => bits.split('').filter((b) => b === '1').length;

describe('characters outside the CJK font (𠮷 U+20BB7) on a printer without a Chinese font', () => {
  it('are drawn from a fallback font: the cell has the glyph, not an empty box', () => {
    const yoshi = firstCell(rasterizeTextLine({ text: '𠮷野家', ...plain }, epson));
    // No font has U+10FFFD (private use): what an empty box (.notdef) looks like in that cell.
    const tofu = firstCell(rasterizeTextLine({ text: '\u{10FFFD}野家', ...plain }, epson));
    const kichi = firstCell(rasterizeTextLine({ text: '吉野家', ...plain }, epson));
    expect(ink(yoshi)).toBeGreaterThan(40);
    expect(yoshi).not.toBe(tofu);
    // And it is 𠮷 (土 over 口), not 吉 (士 over 口) drawn in its place.
    expect(yoshi).not.toBe(kichi);
  });

  it('print as a raster line (never as four GB18030 bytes) and show in the preview', async () => {
    const doc = { blocks: [{ type: 'text' as const, text: '𠮷野家 Yoshinoya' }, { type: 'cut' as const }] };
    const device = new SimulatedPrinterDevice();
    device.receive(renderReceipt(doc, epson));
    expect(device.receipts[0]!.images).toEqual([{ widthDots: 512, heightDots: 24 }]);
    expect(device.receipts[0]!.lines.join('')).not.toContain('Yoshinoya');
    const png = PNG.sync.read(await renderPreview(doc, epson));
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'receipt-epson-yoshi.png'), PNG.sync.write(png));
    // The preview draws the same cell at (margin 24, margin 24 + 3).
    const preview = { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    const line = rasterizeTextLine({ text: '𠮷野家 Yoshinoya', ...plain }, epson);
    expect(firstCell(preview, 24, 27)).toBe(firstCell(line));
  });
});

describe('characters GB18030 encodes in four bytes, on a printer with a Chinese font', () => {
  it('print the line as an image (Chinese-mode printers print four-byte codes as garbage)', () => {
    const xprinter = getProfile('xprinter-58');
    const device = new SimulatedPrinterDevice();
    const bytes = renderReceipt(
      {
        blocks: [
          { type: 'text', text: '𠮷野家 Yoshinoya' },
          { type: 'text', text: '吉野家 正品' },
          { type: 'cut' },
        ],
      },
      xprinter,
    );
    device.receive(bytes);
    const [receipt] = device.receipts;
    // The 𠮷 line is a raster image; the line the font can print stays text (GB18030 double-byte).
    expect(receipt!.images).toEqual([{ widthDots: 384, heightDots: 24 }]);
    expect(receipt!.lines).toEqual(['吉野家 正品']);
    // No four-byte GB18030 sequence (𠮷 = 95 34 B2 35) reaches the printer.
    expect(Buffer.from(bytes).includes(Buffer.from([0x95, 0x34, 0xb2, 0x35]))).toBe(false);
  });
});
