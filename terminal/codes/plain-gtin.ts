import { gs1CheckDigit } from './check-digit.js';
import { failAt, type ParseContext } from './context.js';
import type { ParseResult } from './types.js';

const NAMES: Record<number, string> = { 8: 'EAN-8', 12: 'UPC-A', 13: 'EAN-13', 14: 'ITF-14/GTIN-14' };

/**
 * A bare GTIN from a linear barcode (EAN-8, UPC-A, EAN-13, ITF-14): product only, no unit serial,
 * so kind `gtin` and never "genuine". Left-padded to GTIN-14 (GenSpec §3.3.2).
 * The caller has checked that `digits` is 8, 12, 13 or 14 digits; `checkAt` is the check digit's
 * offset in the text (it differs for a UPC-E expanded to UPC-A).
 */
export function plainGtinResult(
  ctx: ParseContext,
  digits: string,
  checkAt = digits.length - 1,
  name = NAMES[digits.length] ?? 'GTIN',
): ParseResult {
  const expected = gs1CheckDigit(digits.slice(0, -1));
  const actual = digits.charCodeAt(digits.length - 1) - 48;
  if (expected !== actual) {
    return failAt(
      ctx,
      'bad_check_digit',
      checkAt,
      name,
      `check digit is ${actual}, expected ${expected} (GS1 mod-10)`,
    );
  }
  const gtin = digits.length === 14 ? digits : digits.padStart(14, '0');
  const result: ParseResult = { ok: true, kind: 'gtin', key: `01${gtin}`, gtin, attributes: { '01': gtin } };
  if (ctx.aim) result.aim = ctx.aim;
  return result;
}

/**
 * Expands an 8-digit UPC-E (number system 0/1, six digits, check) to its 12-digit UPC-A, per the
 * zero-suppression rules of GenSpec §5.2.2.4.2 (Figure 5.2.2.4.2-1). Undefined if not UPC-E.
 * Only symbols read as UPC-E (AIM `]E0` with 8 digits) come here: bare 8 digits are EAN-8.
 */
export function expandUpcE(digits: string): string | undefined {
  const ns = digits[0];
  if (digits.length !== 8 || (ns !== '0' && ns !== '1')) return undefined;
  const d = digits.slice(1, 7);
  const check = digits[7];
  const last = d.charCodeAt(5) - 48;
  let body: string;
  if (last <= 2) body = `${d.slice(0, 2)}${last}0000${d.slice(2, 5)}`;
  else if (last === 3) body = `${d.slice(0, 3)}00000${d.slice(3, 5)}`;
  else if (last === 4) body = `${d.slice(0, 4)}00000${d[4]}`;
  else body = `${d.slice(0, 5)}0000${last}`;
  return `${ns}${body}${check}`;
}
