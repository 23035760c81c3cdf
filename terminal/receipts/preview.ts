import type { Image, SKRSContext2D } from '@napi-rs/canvas';
import type { Align, ReceiptDocument } from './document.js';
import { type LayoutItem, layoutReceipt, type RgbaImage, widthMode } from './layout.js';
import type { PrinterProfile } from './profiles.js';
import { CELL_HEIGHT_DOTS, canvasLibrary, cjkFontStack, drawTextLine } from './raster-text.js';

export interface PreviewOptions {
  /** CJK font used for every character of the preview. @default wqy-zenhei */
  fontPath?: string;
  /** Paper margin drawn around the printable width, in pixels (= dots). @default 24 */
  marginPx?: number;
}

/** Default line pitch of ESC/POS printers: ESC 2 ≈ 1/6 inch; 30 dots reads right at 180–203 dpi. */
const LINE_PITCH = CELL_HEIGHT_DOTS + 6;

/** ESC/POS barcode symbologies → bwip-js encoder names. */
const bcid = {
  ean13: 'ean13',
  ean8: 'ean8',
  upca: 'upca',
  code39: 'code39',
  itf: 'interleaved2of5',
  code128: 'code128',
};

type Drawable = { height: number; draw: (ctx: SKRSContext2D, y: number) => void };

/**
 * Renders the same layout the printer gets to a PNG, one pixel per printer dot: text in the
 * profile's cells (wide characters two cells), QR codes and barcodes drawn by bwip-js at the
 * module size the printer uses, logos in black and white, cuts as a dashed line.
 */
export async function renderPreview(
  doc: ReceiptDocument,
  profile: PrinterProfile,
  options: PreviewOptions = {},
): Promise<Buffer> {
  const fonts = cjkFontStack(options.fontPath);
  const margin = options.marginPx ?? 24;
  const cellWidth = profile.widthDots / profile.columns;
  const mode = widthMode(profile);
  const drawables: Drawable[] = [];
  for (const item of layoutReceipt(doc, profile)) drawables.push(await prepare(item));
  const width = profile.widthDots + 2 * margin;
  const height = drawables.reduce((sum, d) => sum + d.height, 0) + 2 * margin;
  const canvas = canvasLibrary().createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = false;
  let y = margin;
  for (const d of drawables) {
    d.draw(ctx, y);
    y += d.height;
  }
  return canvas.encode('png');

  async function prepare(item: LayoutItem): Promise<Drawable> {
    const place = (w: number, align: Align) =>
      margin +
      (align === 'center' ? (profile.widthDots - w) / 2 : align === 'right' ? profile.widthDots - w : 0);
    switch (item.kind) {
      case 'text':
        return {
          height: CELL_HEIGHT_DOTS * item.height + 6,
          draw: (ctx, y) => drawTextLine(ctx, item, { x: margin, y: y + 3 }, cellWidth, fonts, mode),
        };
      case 'qr': {
        // bwip-js draws 2 px per module at scale 1; the printer prints `size` dots per module.
        const image = await symbol({
          bcid: 'qrcode',
          text: item.data,
          scale: 1,
          eclevel: item.errorLevel.toUpperCase(),
        });
        const w = (image.width * item.size) / 2;
        const h = (image.height * item.size) / 2;
        return {
          height: h + LINE_PITCH,
          draw: (ctx, y) => ctx.drawImage(image, place(w, item.align), y, w, h),
        };
      }
      case 'barcode': {
        const image = await symbol({
          bcid: bcid[item.symbology],
          text: item.data,
          scale: 3,
          height: item.height / (3 * 2.835),
          includetext: item.hri,
          textxalign: 'center',
        });
        return {
          height: image.height + LINE_PITCH,
          draw: (ctx, y) => ctx.drawImage(image, place(image.width, item.align), y),
        };
      }
      case 'image':
        return {
          height: item.image.height,
          draw: (ctx, y) =>
            ctx.putImageData(monochrome(ctx, item.image), place(item.image.width, item.align), y),
        };
      case 'feed':
        return { height: LINE_PITCH * item.lines, draw: () => undefined };
      case 'cut':
        return {
          height: LINE_PITCH * 2,
          draw: (ctx, y) => {
            ctx.strokeStyle = '#888';
            ctx.setLineDash([8, 6]);
            ctx.beginPath();
            ctx.moveTo(0, y + LINE_PITCH);
            ctx.lineTo(profile.widthDots + 2 * margin, y + LINE_PITCH);
            ctx.stroke();
            ctx.setLineDash([]);
            note(ctx, item.partial ? 'partial cut' : 'cut', y + LINE_PITCH + 4);
          },
        };
      case 'drawer':
        return {
          height: LINE_PITCH,
          draw: (ctx, y) => note(ctx, `cash drawer pulse (pin ${item.pin})`, y + 4),
        };
    }
  }

  function note(ctx: SKRSContext2D, text: string, y: number): void {
    ctx.save();
    ctx.fillStyle = '#888';
    ctx.font = `16px ${fonts}`;
    ctx.textBaseline = 'top';
    ctx.fillText(`[${text}]`, margin, y);
    ctx.restore();
  }
}

async function symbol(options: Record<string, unknown>): Promise<Image> {
  // bwip-js (~9 MB) only loads for previews, which a terminal draws on request.
  const { default: bwip } = await import('bwip-js');
  const png = await bwip.toBuffer(options as unknown as Parameters<typeof bwip.toBuffer>[0]);
  return canvasLibrary().loadImage(png);
}

/** Thresholds a logo the way the printer will see it (dark below 50 % luminance). */
function monochrome(ctx: SKRSContext2D, image: RgbaImage) {
  const out = ctx.createImageData(image.width, image.height);
  for (let i = 0; i < image.data.length; i += 4) {
    const lum = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
    const v = lum < 128 ? 0 : 255;
    out.data[i] = out.data[i + 1] = out.data[i + 2] = v;
    out.data[i + 3] = 255;
  }
  return out;
}
