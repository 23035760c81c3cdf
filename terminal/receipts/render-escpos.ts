import { createRequire } from 'node:module';
import type ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import iconv from 'iconv-lite';
import type { ReceiptDocument } from './document.js';
import { type LayoutItem, layoutReceipt, type TextStyle } from './layout.js';
import type { PrinterProfile } from './profiles.js';
import { rasterBitImage, rasterizeTextLine } from './raster-text.js';
import { hasWide } from './text-width.js';

export interface RenderOptions {
  /** CJK font for lines a printer without a Chinese font gets as images. @default wqy-zenhei */
  fontPath?: string;
}

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const LF = 0x0a;
const alignCode = { left: 0, center: 1, right: 2 } as const;

/** Byte sink that grows; cheaper than concatenating arrays per command. */
class Bytes {
  private buf = new Uint8Array(4096);
  length = 0;
  push(...bytes: number[]): void {
    this.ensure(bytes.length);
    for (const b of bytes) this.buf[this.length++] = b;
  }
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

/**
 * Renders a receipt to ESC/POS bytes for one printer profile. Pure: no I/O except loading the
 * CJK font the first time a printer without a Chinese font needs a line as an image.
 *
 * Text, styles, code pages and GB18030 are encoded here (the encoder library neither counts East
 * Asian widths nor speaks GB18030, and its text path is several times slower than this loop);
 * QR codes, barcodes and logos go through @point-of-sale/receipt-printer-encoder.
 */
export function renderReceipt(
  doc: ReceiptDocument,
  profile: PrinterProfile,
  options: RenderOptions = {},
): Uint8Array {
  const out = new Bytes();
  // ESC @ initialise; then the character set: FS & (Chinese mode, GB18030 double-byte) on
  // printers with a Chinese font, else FS . (leave Kanji mode) + ESC t n (code table).
  out.push(ESC, 0x40);
  if (profile.chineseFont) out.push(FS, 0x26);
  else out.push(FS, 0x2e, ESC, 0x74, profile.codepage.escT);
  let style: TextStyle = { bold: false, underline: false, width: 1, height: 1 };
  for (const item of layoutReceipt(doc, profile)) {
    if (item.kind === 'text') {
      const asImage = needsRaster(item.text, profile);
      if (item.underline && !asImage) {
        // Spaces that align the line are printed before ESC - 1, so only the words are underlined.
        const text = item.text.trimStart();
        style = setStyle(out, style, { ...item, underline: false });
        out.append(encodeText(item.text.slice(0, item.text.length - text.length), profile));
        style = setStyle(out, style, item);
        out.append(encodeText(text, profile));
        out.push(LF);
        continue;
      }
      style = setStyle(out, style, item);
      if (asImage) {
        // No Chinese font, or characters the printer cannot encode: the whole line as a raster
        // image, so alignment with the text around it is kept (GS v 0 prints at the left
        // margin; the line is already padded).
        out.append(rasterBitImage(rasterizeTextLine(item, profile, options.fontPath)));
      } else {
        out.append(encodeText(item.text, profile));
        out.push(LF);
      }
      continue;
    }
    renderBlock(out, item, profile);
  }
  setStyle(out, style, { bold: false, underline: false, width: 1, height: 1 });
  return out.result();
}

function setStyle(out: Bytes, current: TextStyle, next: TextStyle): TextStyle {
  if (current.bold !== next.bold) out.push(ESC, 0x45, next.bold ? 1 : 0); // ESC E n
  if (current.underline !== next.underline) out.push(ESC, 0x2d, next.underline ? 1 : 0); // ESC - n
  if (current.width !== next.width || current.height !== next.height) {
    out.push(GS, 0x21, ((next.width - 1) << 4) | (next.height - 1)); // GS ! n
  }
  return { bold: next.bold, underline: next.underline, width: next.width, height: next.height };
}

const encodableCache = new Map<string, boolean>();

/**
 * Whether the printer can print `char` from its own font: in Chinese mode a GB18030 double-byte
 * code (inside GB2312's rows A1–F7 × A1–FE when that is all the font holds); otherwise a
 * character of the profile's code page (iconv substitutes `?` for the rest).
 */
export function canEncode(char: string, profile: PrinterProfile): boolean {
  const code = char.codePointAt(0)!;
  if (code >= 0x20 && code <= 0x7e) return true;
  const key = `${profile.chineseFont ? profile.chineseRepertoire : profile.codepage.encoding}\u0000${char}`;
  const known = encodableCache.get(key);
  if (known !== undefined) return known;
  let ok: boolean;
  if (profile.chineseFont) {
    const bytes = iconv.encode(char, 'gb18030');
    ok = bytes.length === 2 && iconv.decode(bytes, 'gb18030') === char;
    if (ok && profile.chineseRepertoire === 'gb2312')
      ok = bytes[0]! >= 0xa1 && bytes[0]! <= 0xf7 && bytes[1]! >= 0xa1 && bytes[1]! <= 0xfe;
  } else {
    const bytes = iconv.encode(char, profile.codepage.encoding);
    ok = bytes.length === 1 && iconv.decode(bytes, profile.codepage.encoding) === char;
  }
  encodableCache.set(key, ok);
  return ok;
}

/** A line the printer's font cannot print as text (CJK without a Chinese font, or unencodable characters). */
export function needsRaster(text: string, profile: PrinterProfile): boolean {
  if (!profile.chineseFont && hasWide(text)) return true;
  for (const char of text) if (!canEncode(char, profile)) return true;
  return false;
}

function encodeText(text: string, profile: PrinterProfile): Uint8Array {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  return iconv.encode(text, profile.chineseFont ? 'gb18030' : profile.codepage.encoding);
}

let encoderClass: typeof ReceiptPrinterEncoder | undefined;

/**
 * The encoder library builds its printer and codepage tables when loaded (~0.2 s of CPU), so it
 * loads with the first receipt that needs a QR code, barcode or image, not with the terminal.
 */
function encoder(profile: PrinterProfile): ReceiptPrinterEncoder {
  encoderClass ??= createRequire(import.meta.url)(
    '@point-of-sale/receipt-printer-encoder',
  ) as typeof ReceiptPrinterEncoder;
  return new encoderClass({
    language: 'esc-pos',
    printerModel: profile.encoderModel,
    newline: '\n',
    imageMode: 'raster',
  });
}

function renderBlock(out: Bytes, item: Exclude<LayoutItem, { kind: 'text' }>, profile: PrinterProfile): void {
  switch (item.kind) {
    case 'qr':
      out.push(ESC, 0x61, alignCode[item.align]); // ESC a n
      // GS ( k fn 65/67/69/80/81: model 2, module size, error level, store, print.
      out.append(
        encoder(profile)
          .qrcode(item.data, { model: 2, size: item.size, errorlevel: item.errorLevel })
          .encode(),
      );
      out.push(ESC, 0x61, 0);
      return;
    case 'barcode':
      out.push(ESC, 0x61, alignCode[item.align]);
      out.append(
        encoder(profile)
          .barcode(item.data, item.symbology, { height: item.height, text: item.hri ? 'below' : 'none' })
          .encode(),
      );
      out.push(ESC, 0x61, 0);
      return;
    case 'image':
      out.push(ESC, 0x61, alignCode[item.align]);
      out.append(
        encoder(profile).image(item.image, item.image.width, item.image.height, 'atkinson').encode(),
      );
      out.push(ESC, 0x61, 0);
      return;
    case 'feed':
      out.push(ESC, 0x64, item.lines); // ESC d n
      return;
    case 'cut':
      // GS V m n, function B (m 65 full, 66 partial): the printer feeds from the print position to
      // its cutter (+ n units) and cuts. It knows its head-to-cutter distance; a fixed ESC d before
      // a plain GS V 0/1 cannot, and guessing high left several blank lines on every receipt.
      out.push(GS, 0x56, item.partial ? 66 : 65, profile.cutFeedUnits);
      return;
    case 'drawer':
      // ESC p m t1 t2: pulse pin 2 (m=0) or 5 (m=1), 50×2 ms on, 250×2 ms off.
      out.push(ESC, 0x70, item.pin === 5 ? 1 : 0, 0x32, 0xfa);
      return;
  }
}
