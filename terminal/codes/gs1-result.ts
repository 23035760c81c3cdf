import { failure, type ParseContext, yearOf } from './context.js';
import { yymmddToIso } from './dates.js';
import type { AiPair } from './element-string.js';
import type { ParsedCode, ParseResult } from './types.js';

/**
 * `{ ai: value }` of the pairs. AIs such as "10", "21" or "91" are integer-like property names,
 * which V8 keeps in the object's elements store, not as named properties; each time a larger one
 * is assigned the store is reallocated to fit (an AI 93 needs ~155 slots). Assigning the
 * integer-like AIs last-to-first makes the first one assigned usually the largest (element strings
 * put company-internal 9x AIs last), so the store is allocated once. That brings plain assignment
 * to within a few percent of an object literal, with no code generated at run time. The named AIs
 * ("00"–"09", leading zero) are assigned in order, so their enumeration order is the scan's;
 * integer-like keys always enumerate in ascending order whatever the assignment order. An AI may
 * appear twice only with the same value (element-string.ts), so the order cannot change a value.
 */
function attributesOf(pairs: AiPair[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let i = pairs.length - 1; i >= 0; i--) {
    const p = pairs[i]!;
    if (p.ai.charCodeAt(0) !== 48 /* 0 */) attributes[p.ai] = p.value;
  }
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    if (p.ai.charCodeAt(0) === 48) attributes[p.ai] = p.value;
  }
  return attributes;
}

/**
 * Turns the AIs of one element string or Digital Link into the canonical result:
 * key `01`+GTIN-14+`21`+serial (kind gs1), or `01`+GTIN-14 without a serial (kind gtin).
 * Every AI, including company-internal 91–99 (e.g. Chestny Znak's 91/92/93 crypto tail), is kept
 * in `attributes` but only 01 and 21 make the key.
 */
export function gs1Result(ctx: ParseContext, pairs: AiPair[]): ParseResult {
  const attributes = attributesOf(pairs);
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
  if (expiry !== undefined) result.expiry = yymmddToIso(expiry, yearOf(ctx), true);
  const production = attributes['11'];
  if (production !== undefined) result.productionDate = yymmddToIso(production, yearOf(ctx), false);
  if (ctx.aim) result.aim = ctx.aim;
  return result;
}
