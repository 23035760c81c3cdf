import type ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import { VeritermError } from '../errors.js';

/** A printer model id the encoder library knows (its model database), or undefined for none. */
type EncoderModel = NonNullable<ConstructorParameters<typeof ReceiptPrinterEncoder>[0]>['printerModel'];

/**
 * What the renderer needs to know about a printer family. Capabilities not listed here (codepage
 * tables, barcode symbologies) come from @point-of-sale/receipt-printer-encoder's model database
 * through `encoderModel`.
 */
export interface PrinterProfile {
  id: ProfileId;
  name: string;
  /** Characters per line in font A (12×24 dots) at magnification 1. */
  columns: number;
  /** Printable width in dots (raster images and QR centring). */
  widthDots: number;
  dpi: number;
  /**
   * The printer has a GB18030 Chinese font: text goes out as GB18030 after FS & (select Kanji /
   * Chinese character mode). Without one, lines holding CJK are printed as raster images.
   */
  chineseFont: boolean;
  /**
   * Which characters the Chinese font can print in Chinese mode. Such printers take GB18030
   * single bytes (ASCII) and double bytes only, and some fonts hold GB2312 alone: a character
   * outside (ö, ß, ñ, ™ are 4-byte GB18030 sequences) prints garbage and shifts the columns, so
   * the renderer prints its line as an image instead. `gbk` = GB18030 double-byte area.
   */
  chineseRepertoire: 'gbk' | 'gb2312';
  /** ESC t n code table for non-Chinese text, and the iconv-lite encoding that matches it. */
  codepage: { escT: number; encoding: string };
  /** Model id in @point-of-sale/receipt-printer-encoder used for QR, barcode and image commands. */
  encoderModel: EncoderModel;
  /**
   * Paper fed past the cutting position before a cut, in the printer's vertical motion units
   * (GS V 65/66 n, "feed paper to cutting position + n × vertical motion unit, then cut"). The
   * printer itself feeds the print-head-to-cutter distance (about 3–5 lines on 80 mm printers), so
   * the last line always clears the cutter and 0 adds no blank paper.
   */
  cutFeedUnits: number;
}

export type ProfileId = 'epson-tm-t88' | 'xprinter-58' | 'xprinter-80' | 'pos-58' | 'generic';

export const PROFILE_IDS = ['epson-tm-t88', 'xprinter-58', 'xprinter-80', 'pos-58', 'generic'] as const;

const profiles: Record<ProfileId, PrinterProfile> = {
  // Epson TM-T88 class: 80 mm, 180 dpi, 512 printable dots; 48 columns as the brief asks (the
  // TM-T88V/VI ship in 42-column mode: set `columns: 42` with profileOverrides when it is so).
  // No Chinese font on the international models: CJK lines go out as raster images.
  // Code page 19 is PC858 (CP850 with €), per the Epson ESC t table.
  'epson-tm-t88': {
    id: 'epson-tm-t88',
    name: 'Epson TM-T88 class (80 mm)',
    columns: 48,
    widthDots: 512,
    dpi: 180,
    chineseFont: false,
    chineseRepertoire: 'gbk',
    codepage: { escT: 19, encoding: 'cp858' },
    encoderModel: 'epson-tm-t88vi',
    cutFeedUnits: 0,
  },
  // Xprinter XP-58 class: 58 mm, 203 dpi, 384 dots, 32 columns, GB18030 font built in.
  'xprinter-58': {
    id: 'xprinter-58',
    name: 'Xprinter-class 58 mm with Chinese font',
    columns: 32,
    widthDots: 384,
    dpi: 203,
    chineseFont: true,
    chineseRepertoire: 'gbk',
    codepage: { escT: 0, encoding: 'cp437' },
    encoderModel: 'pos-5890',
    cutFeedUnits: 0,
  },
  // Xprinter XP-80/N160II class: 80 mm, 203 dpi, 576 dots, 48 columns, GB18030 font built in.
  'xprinter-80': {
    id: 'xprinter-80',
    name: 'Xprinter-class 80 mm with Chinese font',
    columns: 48,
    widthDots: 576,
    dpi: 203,
    chineseFont: true,
    chineseRepertoire: 'gbk',
    codepage: { escT: 0, encoding: 'cp437' },
    encoderModel: 'xprinter-xp-n160ii',
    cutFeedUnits: 0,
  },
  // Zjiang ZJ-5805 / POS-58 / MPT-II class (0416:5011, 0483:5840): 58 mm, 384 dots, a GB2312
  // font only; anything outside GB2312 is printed as an image.
  'pos-58': {
    id: 'pos-58',
    name: 'POS-58 class 58 mm with a GB2312 font (Zjiang, MPT-II)',
    columns: 32,
    widthDots: 384,
    dpi: 203,
    chineseFont: true,
    chineseRepertoire: 'gb2312',
    codepage: { escT: 0, encoding: 'cp437' },
    encoderModel: 'pos-5890',
    cutFeedUnits: 0,
  },
  // Anything that speaks plain ESC/POS: 80 mm, CP437 (table 0 is the one every printer has).
  generic: {
    id: 'generic',
    name: 'Generic ESC/POS (80 mm, CP437)',
    columns: 48,
    widthDots: 576,
    dpi: 203,
    chineseFont: false,
    chineseRepertoire: 'gbk',
    codepage: { escT: 0, encoding: 'cp437' },
    encoderModel: undefined,
    cutFeedUnits: 0,
  },
};

/** The profile for an id, with optional overrides (e.g. `{ columns: 42 }`). */
export function getProfile(id: string, overrides: Partial<Omit<PrinterProfile, 'id'>> = {}): PrinterProfile {
  const base = (profiles as Record<string, PrinterProfile | undefined>)[id];
  if (!base) {
    throw new VeritermError(
      'printer_profile_unknown',
      `Unknown printer profile "${id}". Expected one of: ${PROFILE_IDS.join(', ')}`,
    );
  }
  return { ...base, ...overrides };
}
