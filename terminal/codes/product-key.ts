import type { ParsedCode } from './types.js';

/**
 * The registry's product key of a parsed code: `01` + GTIN-14 for gs1 and gtin codes, the
 * 7-digit product resource code (first 7 digits) for cn20 codes.
 */
export function productKeyOf(parsed: ParsedCode): string {
  if (parsed.kind === 'cn20') return parsed.productCode ?? parsed.key.slice(0, 7);
  return `01${parsed.gtin ?? parsed.key.slice(2, 16)}`;
}
