import { PNG } from 'pngjs';
import { VeritermError } from '../errors.js';
import type { Align, BarcodeBlock, ColumnsBlock, QrBlock, ReceiptDocument } from './document.js';
import type { PrinterProfile } from './profiles.js';
import { padToWidth, type WidthMode, wrapText } from './text-width.js';

/** Decoded RGBA pixels (same shape as DOM ImageData). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface TextStyle {
  bold: boolean;
  underline: boolean;
  width: number;
  height: number;
}

/**
 * One printable item after layout. Text lines are already wrapped, aligned and padded in
 * printer columns (wide characters count two), so the ESC/POS renderer, the raster fallback and
 * the PNG preview all place every character in the same cell.
 */
export type LayoutItem =
  | ({ kind: 'text'; text: string } & TextStyle)
  | ({ kind: 'qr' } & Required<Omit<QrBlock, 'type'>>)
  | ({ kind: 'barcode' } & Required<Omit<BarcodeBlock, 'type'>>)
  | { kind: 'image'; image: RgbaImage; align: Align }
  | { kind: 'feed'; lines: number }
  | { kind: 'cut'; partial: boolean }
  | { kind: 'drawer'; pin: 2 | 5 };

const plain: TextStyle = { bold: false, underline: false, width: 1, height: 1 };

/** How the profile's printer sizes characters (GB18030 double-byte codes are all wide). */
export function widthMode(profile: PrinterProfile): WidthMode {
  return profile.chineseFont ? 'gb18030' : 'unicode';
}

export function layoutReceipt(doc: ReceiptDocument, profile: PrinterProfile): LayoutItem[] {
  const items: LayoutItem[] = [];
  const mode = widthMode(profile);
  for (const block of doc.blocks) {
    switch (block.type) {
      case 'text': {
        const style: TextStyle = {
          bold: block.bold ?? false,
          underline: block.underline ?? false,
          width: block.width ?? 1,
          height: block.height ?? 1,
        };
        // Magnified characters take `width` columns each: the line holds fewer of them.
        const cols = Math.max(1, Math.floor(profile.columns / style.width));
        for (const line of wrapText(block.text, cols)) {
          items.push({
            kind: 'text',
            text: padToWidth(line, cols, block.align ?? 'left').trimEnd(),
            ...style,
          });
        }
        break;
      }
      case 'columns':
        for (const text of layoutColumns(block, profile.columns, mode)) {
          items.push({ kind: 'text', text, ...plain, bold: block.bold ?? false });
        }
        break;
      case 'rule':
        items.push({
          kind: 'text',
          text: (block.style === 'double' ? '=' : '-').repeat(profile.columns),
          ...plain,
        });
        break;
      case 'qr':
        items.push({
          kind: 'qr',
          data: block.data,
          size: block.size ?? 6,
          errorLevel: block.errorLevel ?? 'm',
          align: block.align ?? 'center',
        });
        break;
      case 'barcode':
        items.push({
          kind: 'barcode',
          data: block.data,
          symbology: block.symbology,
          height: block.height ?? 60,
          hri: block.hri ?? true,
          align: block.align ?? 'center',
        });
        break;
      case 'image':
        items.push({
          kind: 'image',
          image: scaleImage(decodePng(block.png), profile.widthDots, block.widthDots),
          align: block.align ?? 'center',
        });
        break;
      case 'feed':
        items.push({ kind: 'feed', lines: block.lines });
        break;
      case 'cut':
        items.push({ kind: 'cut', partial: block.partial ?? false });
        break;
      case 'drawer':
        items.push({ kind: 'drawer', pin: block.pin ?? 2 });
        break;
    }
  }
  return items;
}

/** Column widths: fixed ones as given, the rest share what is left; then each row padded. */
export function layoutColumns(
  block: ColumnsBlock,
  totalColumns: number,
  mode: WidthMode = 'unicode',
): string[] {
  const gap = block.gap ?? 1;
  const fixed = block.columns.reduce((sum, c) => sum + (c.width ?? 0), 0);
  const flexible = block.columns.filter((c) => c.width === undefined).length;
  const free = totalColumns - fixed - gap * (block.columns.length - 1);
  if (free < flexible) {
    throw new VeritermError(
      'receipt_columns_too_wide',
      `Columns need ${fixed + gap * (block.columns.length - 1) + flexible} printer columns, the profile has ${totalColumns}`,
    );
  }
  const widths = block.columns.map((c, i) => {
    if (c.width !== undefined) return c.width;
    const share = Math.floor(free / flexible);
    // The last flexible column takes the remainder so the row fills the line exactly.
    const isLastFlexible = block.columns.slice(i + 1).every((n) => n.width !== undefined);
    return isLastFlexible ? free - share * (flexible - 1) : share;
  });
  const cells = block.columns.map((c, i) => wrapText(c.text, widths[i]!, mode));
  const rows = Math.max(...cells.map((c) => c.length));
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const parts = block.columns.map((c, i) =>
      padToWidth(cells[i]![r] ?? '', widths[i]!, c.align ?? 'left', mode),
    );
    lines.push(parts.join(' '.repeat(gap)).trimEnd());
  }
  return lines;
}

export function decodePng(png: Uint8Array): RgbaImage {
  try {
    const decoded = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
    return { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data) };
  } catch (cause) {
    throw new VeritermError('receipt_image_invalid', 'Receipt image is not a readable PNG file', { cause });
  }
}

/**
 * Scales (nearest neighbour) to `widthDots` when given, else only down to fit `maxWidth`, and pads
 * to whole bytes: raster bit images (GS v 0) carry 8 dots per byte across, and the encoder library
 * works in bands of 8 rows. Transparent pixels become white paper.
 */
export function scaleImage(image: RgbaImage, maxWidth: number, widthDots?: number): RgbaImage {
  const target = Math.min(widthDots ?? image.width, maxWidth);
  const scale = target / image.width;
  const drawnWidth = Math.max(1, Math.floor(image.width * scale));
  const drawnHeight = Math.max(1, Math.round(image.height * scale));
  const width = Math.ceil(drawnWidth / 8) * 8;
  const height = Math.ceil(drawnHeight / 8) * 8;
  const data = new Uint8Array(width * height * 4).fill(255);
  for (let y = 0; y < drawnHeight; y++) {
    const sy = Math.min(image.height - 1, Math.floor(y / scale));
    for (let x = 0; x < drawnWidth; x++) {
      const sx = Math.min(image.width - 1, Math.floor(x / scale));
      const s = (sy * image.width + sx) * 4;
      const d = (y * width + x) * 4;
      const alpha = image.data[s + 3]! / 255;
      for (let c = 0; c < 3; c++) data[d + c] = Math.round(image.data[s + c]! * alpha + 255 * (1 - alpha));
      data[d + 3] = 255;
    }
  }
  return { width, height, data };
}
