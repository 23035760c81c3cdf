import type { ParseContext } from './context.js';
import type { ParsedCode } from './types.js';

/**
 * China product-quality supervision / traceability code: 20 digits = 7-digit product resource
 * code + 9-digit serial + 4-digit check. The check algorithm is not public, so only the syntax
 * is checked here; authenticity comes from the registry (DOMAIN.md).
 * The caller has checked that text is exactly 20 digits.
 */
export function cn20Result(ctx: ParseContext, digits: string): ParsedCode {
  const result: ParsedCode = {
    ok: true,
    kind: 'cn20',
    key: digits,
    productCode: digits.slice(0, 7),
    serial: digits.slice(7, 16),
    attributes: {},
  };
  if (ctx.aim) result.aim = ctx.aim;
  return result;
}
