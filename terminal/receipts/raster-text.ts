import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Canvas from '@napi-rs/canvas';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { VeritermError } from '../errors.js';
import type { RgbaImage, TextStyle } from './layout.js';
import type { PrinterProfile } from './profiles.js';
import { charWidth, type WidthMode } from './text-width.js';

let canvasModule: typeof Canvas | undefined;

/**
 * @napi-rs/canvas (Skia: ~30 MB resident and ~0.2 s of CPU to load), loaded on first use: most
 * receipts print in the printer's own font, so a terminal that never rasterises a line (or draws
 * a preview) never maps it. Synchronous, since receipt rendering is.
 */
export function canvasLibrary(): typeof Canvas {
  canvasModule ??= createRequire(import.meta.url)('@napi-rs/canvas') as typeof Canvas;
  return canvasModule;
}

/** Debian's fonts-wqy-zenhei: a CJK font with Latin glyphs, free to ship. */
export const DEFAULT_CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

/**
 * Fonts for characters the CJK font lacks, tried in order: Debian's fonts-noto-cjk covers CJK
 * Extension B and later as used in names (𠮷 U+20BB7, the "tsuchi-yoshi" of 吉野家, is not in
 * wqy-zenhei: without a fallback it prints as an empty box). Missing files are skipped.
 * `VERITERM_CJK_FALLBACK_FONTS` (paths separated by `:`) replaces the list.
 */
export const DEFAULT_FALLBACK_FONTS = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/hanazono/HanaMinB.ttf',
];

/** Font cell of a printer's font A: 24 dots high; its width follows the profile's columns. */
export const CELL_HEIGHT_DOTS = 24;

const registered = new Map<string, string>();

/**
 * Registers the CJK font once per path and returns its family name. Throws a clear
 * `printer_font_missing` when the file is absent, instead of printing tofu boxes.
 */
export function cjkFontFamily(fontPath: string = process.env.VERITERM_CJK_FONT ?? DEFAULT_CJK_FONT): string {
  const known = registered.get(fontPath);
  if (known) return known;
  if (!existsSync(fontPath)) {
    throw new VeritermError(
      'printer_font_missing',
      `CJK font not found at ${fontPath}: install fonts-wqy-zenhei or set the receipt font path (VERITERM_CJK_FONT) to a .ttf/.ttc with Chinese glyphs`,
    );
  }
  const family = `veriterm-cjk-${registered.size}`;
  if (!canvasLibrary().GlobalFonts.registerFromPath(fontPath, family)) {
    throw new VeritermError('printer_font_missing', `Could not load the CJK font at ${fontPath}`);
  }
  registered.set(fontPath, family);
  return family;
}

const fallbackFamilies = new Map<string, string | undefined>();

/**
 * The CSS font list for receipt text: the CJK font (cjkFontFamily), then every fallback font that
 * exists, so each character is drawn from the first font that has it (Skia picks per glyph along
 * the list) rather than as the first font's empty box.
 */
export function cjkFontStack(
  fontPath?: string,
  fallbackPaths: readonly string[] = process.env.VERITERM_CJK_FALLBACK_FONTS?.split(':').filter(Boolean) ??
    DEFAULT_FALLBACK_FONTS,
): string {
  const families = [cjkFontFamily(fontPath)];
  for (const path of fallbackPaths) {
    if (!fallbackFamilies.has(path)) {
      const family = `veriterm-cjk-fallback-${fallbackFamilies.size}`;
      fallbackFamilies.set(
        path,
        existsSync(path) && canvasLibrary().GlobalFonts.registerFromPath(path, family) ? family : undefined,
      );
    }
    const family = fallbackFamilies.get(path);
    if (family) families.push(family);
  }
  return families.map((f) => `"${f}"`).join(', ');
}

/**
 * Draws one laid-out text line cell by cell (a wide character fills two cells), so it lines up
 * with what the printer's own font would print. Bold is drawn twice, one dot apart, like the
 * printer's emphasised mode (ESC E).
 */
export function drawTextLine(
  ctx: SKRSContext2D,
  line: { text: string } & TextStyle,
  origin: { x: number; y: number },
  cellWidth: number,
  /** A CSS font-family list (cjkFontStack). */
  fonts: string,
  mode: WidthMode = 'unicode',
): void {
  ctx.save();
  ctx.translate(origin.x, origin.y);
  ctx.scale(line.width, line.height);
  ctx.fillStyle = '#000';
  ctx.textBaseline = 'top';
  ctx.font = `${Math.min(CELL_HEIGHT_DOTS, Math.round(cellWidth * 2))}px ${fonts}`;
  let column = 0;
  let inkFrom = -1;
  for (const ch of line.text) {
    if (inkFrom < 0 && ch !== ' ') inkFrom = column;
    const w = charWidth(ch.codePointAt(0)!, mode);
    if (ch !== ' ' && w > 0) {
      const cell = w * cellWidth;
      const glyph = ctx.measureText(ch).width;
      // Wide Latin glyphs (m, W) are squeezed into their cell, as a monospaced printer font is.
      const squeeze = glyph > cell ? cell / glyph : 1;
      const x = column * cellWidth + (cell - glyph * squeeze) / 2;
      ctx.save();
      ctx.translate(x, 0);
      ctx.scale(squeeze, 1);
      ctx.fillText(ch, 0, 1);
      if (line.bold) ctx.fillText(ch, 1 / squeeze, 1);
      ctx.restore();
    }
    column += w;
  }
  // Alignment padding is not underlined (the renderer turns ESC - on after it).
  if (line.underline && inkFrom >= 0) {
    ctx.fillRect(inkFrom * cellWidth, CELL_HEIGHT_DOTS - 2, (column - inkFrom) * cellWidth, 1);
  }
  ctx.restore();
}

/** A text line as a black-and-white image the width of the paper (for GS v 0). */
export function rasterizeTextLine(
  line: { text: string } & TextStyle,
  profile: PrinterProfile,
  fontPath?: string,
): RgbaImage {
  const fonts = cjkFontStack(fontPath);
  const width = Math.ceil(profile.widthDots / 8) * 8;
  const height = CELL_HEIGHT_DOTS * line.height;
  const ctx = scratch(width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  drawTextLine(ctx, line, { x: 0, y: 0 }, profile.widthDots / profile.columns, fonts);
  const pixels = ctx.getImageData(0, 0, width, height);
  return {
    width,
    height,
    data: new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength),
  };
}

const canvases = new Map<string, SKRSContext2D>();

/** One reusable canvas per line size: rendering is synchronous, so lines never share it at once. */
function scratch(width: number, height: number): SKRSContext2D {
  const key = `${width}x${height}`;
  let ctx = canvases.get(key);
  if (!ctx) {
    ctx = canvasLibrary().createCanvas(width, height).getContext('2d');
    canvases.set(key, ctx);
  }
  return ctx;
}

/**
 * GS v 0 m xL xH yL yH d1…dk (ESC/POS "Print raster bit image"): one bit per dot, MSB left,
 * rows top to bottom, `xL + xH·256` bytes per row. Dark means luminance under the threshold.
 */
export function rasterBitImage(image: RgbaImage, threshold = 128): Uint8Array {
  const bytesPerRow = Math.ceil(image.width / 8);
  const out = new Uint8Array(8 + bytesPerRow * image.height);
  out.set([
    0x1d,
    0x76,
    0x30,
    0x00,
    bytesPerRow & 0xff,
    bytesPerRow >> 8,
    image.height & 0xff,
    image.height >> 8,
  ]);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      const lum = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
      if (lum < threshold) out[8 + y * bytesPerRow + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return out;
}
