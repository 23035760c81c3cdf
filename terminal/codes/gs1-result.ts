import { failure, type ParseContext } from './context.js';
import { yymmddToIso } from './dates.js';
import type { AiPair } from './element-string.js';
import type { ParsedCode, ParseResult } from './types.js';

/**
 * Turns the AIs of one element string or Digital Link into the canonical result:
 * key `01`+GTIN-14+`21`+serial (kind gs1), or `01`+GTIN-14 without a serial (kind gtin).
 * Every AI, including company-internal 91–99 (e.g. Chestny Znak's 91/92/93 crypto tail), is kept
 * in `attributes` but only 01 and 21 make the key.
 */
export function gs1Result(ctx: ParseContext, pairs: AiPair[]): ParseResult {
  const attributes: Record<string, string> = {};
  for (const p of pairs) attributes[p.ai] = p.value;
  const gtin = attributes['01'];
  if (gtin === undefined) {
    const message =
      attributes['00'] !== undefined
        ? 'SSCC (AI 00) identifies a logistic unit, not a product unit: expected a GTIN (AI 01)'
        : `no GTIN (AI 01) among AIs ${pairs.map((p) => p.ai).join(', ')}: expected a GTIN to identify the product`;
    return failure('unrecognised', message, undefined, ctx.aim);
  }
  const serial = attributes['21'];
  const result: ParsedCode = {
    ok: true,
    kind: serial === undefined ? 'gtin' : 'gs1',
    key: serial === undefined ? `01${gtin}` : `01${gtin}21${serial}`,
    gtin,
    attributes,
  };
  if (serial !== undefined) result.serial = serial;
  const batch = attributes['10'];
  if (batch !== undefined) result.batch = batch;
  const expiry = attributes['17'];
  if (expiry !== undefined) result.expiry = yymmddToIso(expiry, ctx.referenceYear, true);
  const production = attributes['11'];
  if (production !== undefined) result.productionDate = yymmddToIso(production, ctx.referenceYear, false);
  if (ctx.aim) result.aim = ctx.aim;
  return result;
}
