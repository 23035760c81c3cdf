import { z } from 'zod';

/**
 * The receipt document model: what a lane or kiosk wants printed, independent of any printer.
 * `renderReceipt(doc, profile)` turns it into ESC/POS bytes and `renderPreview(doc, profile)` into
 * a PNG; both go through the same layout, so the preview shows what the paper shows.
 */
const align = z.enum(['left', 'center', 'right']);
/** Character magnification, GS ! (ESC/POS): 1–8 times. */
const magnification = z.number().int().min(1).max(8);

export const textBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  bold: z.boolean().optional(),
  underline: z.boolean().optional(),
  /** Character width multiplier (GS !). @default 1 */
  width: magnification.optional(),
  /** Character height multiplier (GS !). @default 1 */
  height: magnification.optional(),
  align: align.optional(),
});

export const columnSchema = z.object({
  text: z.string(),
  /** Width in character columns; columns without one share what is left equally. */
  width: z.number().int().min(1).optional(),
  align: align.optional(),
});

export const columnsBlockSchema = z.object({
  type: z.literal('columns'),
  columns: z.array(columnSchema).min(1),
  bold: z.boolean().optional(),
  /** Spaces between columns. @default 1 */
  gap: z.number().int().min(0).optional(),
});

export const ruleBlockSchema = z.object({
  type: z.literal('rule'),
  /** `single` prints `-`, `double` prints `=`. @default 'single' */
  style: z.enum(['single', 'double']).optional(),
});

export const qrBlockSchema = z.object({
  type: z.literal('qr'),
  data: z.string().min(1),
  /** Module size in dots (GS ( k fn 67). @default 6 */
  size: z.number().int().min(1).max(16).optional(),
  /** Error correction level (GS ( k fn 69). @default 'm' */
  errorLevel: z.enum(['l', 'm', 'q', 'h']).optional(),
  align: align.optional(),
});

export const barcodeBlockSchema = z.object({
  type: z.literal('barcode'),
  data: z.string().min(1),
  symbology: z.enum(['ean13', 'ean8', 'upca', 'code39', 'itf', 'code128']),
  /** Bar height in dots (GS h). @default 60 */
  height: z.number().int().min(1).max(255).optional(),
  /** Print the human-readable text below the bars (GS H). @default true */
  hri: z.boolean().optional(),
  align: align.optional(),
});

export const imageBlockSchema = z.object({
  type: z.literal('image'),
  /** A PNG file's bytes (a logo). Printed as a raster bit image (GS v 0), dithered. */
  png: z.custom<Uint8Array>(
    (value) => value instanceof Uint8Array,
    'Expected the PNG file bytes as a Uint8Array',
  ),
  /** Print width in dots (the image is scaled to it, never past the printable width). @default the PNG's width */
  widthDots: z.number().int().min(8).optional(),
  align: align.optional(),
});

export const feedBlockSchema = z.object({ type: z.literal('feed'), lines: z.number().int().min(1).max(255) });
export const cutBlockSchema = z.object({ type: z.literal('cut'), partial: z.boolean().optional() });
export const drawerBlockSchema = z.object({
  type: z.literal('drawer'),
  /** Drawer kick-out connector pin (ESC p m: 0 = pin 2, 1 = pin 5). @default 2 */
  pin: z.union([z.literal(2), z.literal(5)]).optional(),
});

export const receiptBlockSchema = z.discriminatedUnion('type', [
  textBlockSchema,
  columnsBlockSchema,
  ruleBlockSchema,
  qrBlockSchema,
  barcodeBlockSchema,
  imageBlockSchema,
  feedBlockSchema,
  cutBlockSchema,
  drawerBlockSchema,
]);

export const receiptDocumentSchema = z.object({
  blocks: z.array(receiptBlockSchema),
});

export type Align = z.infer<typeof align>;
export type TextBlock = z.infer<typeof textBlockSchema>;
export type ColumnsBlock = z.infer<typeof columnsBlockSchema>;
export type ReceiptColumn = z.infer<typeof columnSchema>;
export type RuleBlock = z.infer<typeof ruleBlockSchema>;
export type QrBlock = z.infer<typeof qrBlockSchema>;
export type BarcodeBlock = z.infer<typeof barcodeBlockSchema>;
export type ImageBlock = z.infer<typeof imageBlockSchema>;
export type ReceiptBlock = z.infer<typeof receiptBlockSchema>;
export type ReceiptDocument = z.infer<typeof receiptDocumentSchema>;
