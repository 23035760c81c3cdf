import { gs1CheckDigit } from './check-digit.js';
import { failAt, type ParseContext } from './context.js';
import type { ParseResult } from './types.js';

const NAMES: Record<number, string> = { 8: 'EAN-8', 12: 'UPC-A', 13: 'EAN-13', 14: 'ITF-14/GTIN-14' };

/**
 * A bare GTIN from a linear barcode (EAN-8, UPC-A, EAN-13, ITF-14): product only, no unit serial,
 * so kind `gtin` and never "genuine". Left-padded to GTIN-14 (GenSpec §3.3.2).
 * The caller has checked that `digits` is 8, 12, 13 or 14 digits.
 */
export function plainGtinResult(ctx: ParseContext, digits: string, at: number): ParseResult {
  const expected = gs1CheckDigit(digits.slice(0, -1));
  const actual = digits.charCodeAt(digits.length - 1) - 48;
  if (expected !== actual) {
    const name = NAMES[digits.length] ?? 'GTIN';
    return failAt(
      ctx,
      'bad_check_digit',
      at + digits.length - 1,
      name,
      `check digit is ${actual}, expected ${expected} (GS1 mod-10)`,
    );
  }
  const gtin = digits.length === 14 ? digits : digits.padStart(14, '0');
  const result: ParseResult = { ok: true, kind: 'gtin', key: `01${gtin}`, gtin, attributes: { '01': gtin } };
  if (ctx.aim) result.aim = ctx.aim;
  return result;
}
