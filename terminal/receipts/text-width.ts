import { eastAsianWidth } from 'get-east-asian-width';

/**
 * How a printer sizes characters:
 * - `unicode`: East Asian wide and fullwidth characters (UAX #11) take two columns, the rest one
 *   (ambiguous ones come from the single-byte code table, so narrow). Printers without a Chinese
 *   font, and the raster lines drawn for them.
 * - `gb18030`: in Chinese mode (FS &) every non-ASCII character is a GB18030 multi-byte code and
 *   prints from the 24×24 Chinese font: two columns, even `·` or `é`.
 */
export type WidthMode = 'unicode' | 'gb18030';

/** Display width in printer columns (12×24 font A cells). */
export function charWidth(codePoint: number, mode: WidthMode = 'unicode'): number {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  if (codePoint < 0x7f) return 1;
  if (mode === 'gb18030') return 2;
  if (codePoint < 0x1100) return 1;
  return eastAsianWidth(codePoint, { ambiguousAsWide: false });
}

export function textWidth(text: string, mode: WidthMode = 'unicode'): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch.codePointAt(0)!, mode);
  return width;
}

/** Whether the text holds characters only a CJK font can print. */
export function hasWide(text: string): boolean {
  for (const ch of text) if (charWidth(ch.codePointAt(0)!) === 2) return true;
  return false;
}

/**
 * Wraps text to lines no wider than `width` columns. Breaks at spaces when it can, otherwise
 * between characters (CJK has no spaces, and a wide character never straddles the edge).
 * Newlines in the text force a break.
 */
export function wrapText(text: string, width: number, mode: WidthMode = 'unicode'): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    let lastSpace = -1;
    for (const ch of paragraph) {
      const w = charWidth(ch.codePointAt(0)!, mode);
      if (lineWidth + w > width) {
        if (ch === ' ') {
          out.push(line.trimEnd());
          line = '';
          lineWidth = 0;
          lastSpace = -1;
          continue;
        }
        if (lastSpace > 0) {
          out.push(line.slice(0, lastSpace).trimEnd());
          line = line.slice(lastSpace + 1);
        } else {
          out.push(line);
          line = '';
        }
        lineWidth = textWidth(line, mode);
        lastSpace = -1;
      }
      if (ch === ' ') lastSpace = line.length;
      line += ch;
      lineWidth += w;
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** Pads (or cuts) text to exactly `width` columns with the given alignment. */
export function padToWidth(
  text: string,
  width: number,
  align: 'left' | 'center' | 'right' = 'left',
  mode: WidthMode = 'unicode',
): string {
  let w = textWidth(text, mode);
  if (w > width) {
    let cut = '';
    w = 0;
    for (const ch of text) {
      const cw = charWidth(ch.codePointAt(0)!, mode);
      if (w + cw > width) break;
      cut += ch;
      w += cw;
    }
    text = cut;
  }
  const space = width - w;
  if (align === 'right') return ' '.repeat(space) + text;
  if (align === 'center') {
    const left = Math.floor(space / 2);
    return ' '.repeat(left) + text + ' '.repeat(space - left);
  }
  return text + ' '.repeat(space);
}
