/**
 * Wire-stable result of reading one scan. Shared by the terminal, the kiosk UI and upstream.
 *
 * Canonical keys (the registry's primary key for a unit or product):
 * - `cn20`:   the 20 digits of a China supervision / traceability code.
 * - `gs1`:    `01` + GTIN-14 + `21` + serial (serial as decoded, no separators). The same unit
 *             read from an element string or a Digital Link gives the same key.
 * - `gtin`:   `01` + GTIN-14 (product only: no unit serial; never "genuine").
 */
export type CodeKind = 'cn20' | 'gs1' | 'gtin';

/** AIM symbology identifier (ISO/IEC 15424), e.g. `]d2` → { symbology: 'd', modifier: '2' }. */
export interface AimId {
  raw: string;
  symbology: string;
  modifier: string;
}

export interface ParsedCode {
  ok: true;
  kind: CodeKind;
  /** Canonical key, see above. */
  key: string;
  /** GTIN-14, for gs1 and gtin kinds. */
  gtin?: string;
  /** Unit serial: AI 21, or the 9-digit serial of a cn20 code. */
  serial?: string;
  /** AI 10 batch/lot. */
  batch?: string;
  /** AI 17 expiry as ISO date YYYY-MM-DD (day 00 resolved to the month's last day). */
  expiry?: string;
  /** AI 11 production date as ISO date. */
  productionDate?: string;
  /** 7-digit product resource code of a cn20 code. */
  productCode?: string;
  aim?: AimId;
  /** Every AI read (element string / Digital Link), including 91–99, keyed by AI. */
  attributes: Record<string, string>;
}

export type ParseErrorCode =
  | 'empty'
  | 'too_long'
  | 'bad_check_digit'
  | 'unknown_ai'
  | 'bad_length'
  | 'bad_date'
  | 'bad_character'
  | 'bad_syntax'
  | 'unrecognised';

export interface ParseFailure {
  ok: false;
  error: {
    code: ParseErrorCode;
    /** Names the problem and where: "AI 17 at position 18: month 13 is not a month (expected YYMMDD)". */
    message: string;
    /** 0-based character offset in the input after the AIM prefix, where known. */
    position?: number;
  };
  aim?: AimId;
}

export type ParseResult = ParsedCode | ParseFailure;

/** Options of `parseCode`. All optional; the defaults suit a till scanner. */
export interface ParseOptions {
  /**
   * Extra stand-in the scanner sends for GS (0x1D), e.g. `'~'` or `'|'` (1–8 characters, no
   * digits). `<GS>`, `\u001d`, `\x1d` and `␝` are always recognised.
   * @default undefined
   */
  gs?: string;
  /** Year that two-digit YY dates are resolved against (GS1 GenSpec §7.12). @default the current UTC year */
  referenceYear?: number;
  /** Input cap in characters (string) or bytes (Uint8Array); cannot exceed 4096. @default 4096 */
  maxLength?: number;
  /**
   * AIM symbology identifier the transport reported separately from the data (HID POS
   * scanners, `Scan.symbology`), e.g. `']d2'`. Used when the data itself has no AIM prefix.
   * @default undefined
   */
  aim?: string;
}
