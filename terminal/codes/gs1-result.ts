import { failure, type ParseContext, yearOf } from './context.js';
import { yymmddToIso } from './dates.js';
import type { AiPair } from './element-string.js';
import type { ParsedCode, ParseResult } from './types.js';

type AttributesFactory = (pairs: AiPair[]) => Record<string, string>;
/** Trie over AI sequences: one node per AI, so a lookup allocates nothing. */
interface FactoryNode {
  next: Map<string, FactoryNode>;
  factory: AttributesFactory | undefined;
}
const root: FactoryNode = { next: new Map(), factory: undefined };
let factoryCount = 0;
const MAX_FACTORIES = 256;

function assignOneByOne(pairs: AiPair[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const p of pairs) attributes[p.ai] = p.value;
  return attributes;
}

function compileFactory(pairs: AiPair[]): AttributesFactory {
  const fields = pairs.map((p, i) => `${JSON.stringify(p.ai)}: p[${i}].value`).join(', ');
  try {
    return new Function('p', `return { ${fields} };`) as AttributesFactory;
  } catch {
    return assignOneByOne; // a page whose Content-Security-Policy forbids eval
  }
}

/**
 * `{ ai: value }` of the pairs. AIs such as "10" or "91" are integer-like property names, which
 * V8 stores as sparse dictionary elements when assigned one at a time: about 3x slower than
 * creating the same object from a literal, and a third of a parse. So each distinct AI sequence
 * (a store sees a handful) gets a compiled object-literal factory, capped at 256 sequences.
 * Safe to compile: every AI here came from the AI table, so it is 2–4 digits.
 */
function attributesOf(pairs: AiPair[]): Record<string, string> {
  let node = root;
  for (const p of pairs) {
    let child = node.next.get(p.ai);
    if (child === undefined) {
      if (factoryCount >= MAX_FACTORIES) return assignOneByOne(pairs);
      child = { next: new Map(), factory: undefined };
      node.next.set(p.ai, child);
    }
    node = child;
  }
  if (node.factory === undefined) {
    if (factoryCount >= MAX_FACTORIES) return assignOneByOne(pairs);
    factoryCount++;
    node.factory = compileFactory(pairs);
  }
  return node.factory(pairs);
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
