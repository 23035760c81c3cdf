import { allDigits } from './charset.js';
import { failAt, failure, inputOffset, type ParseContext } from './context.js';
import type { AiPair } from './element-string.js';
import { aiDefinition } from './gs1-ai.js';
import { gs1Result } from './gs1-result.js';
import { checkAiValue } from './gs1-value.js';
import type { ParseFailure, ParseResult } from './types.js';

/** Key qualifiers of AI 01 in the order the path must list them (GS1 Digital Link 1.4 §4.3, §5). */
const GTIN_QUALIFIERS = ['22', '10', '21'];
/** Short names from Digital Link 1.0 (`/gtin/…/lot/…/ser/…`), still met on older packs. */
const ALIASES: Record<string, string> = { gtin: '01', cpv: '22', lot: '10', ser: '21', exp: '17' };
const GTIN_AI = aiDefinition('01')!;
/** Primary keys that are not products: named in the error instead of "no GTIN". */
const OTHER_KEYS = new Set([
  '00',
  '253',
  '255',
  '401',
  '402',
  '414',
  '417',
  '8003',
  '8004',
  '8006',
  '8010',
  '8013',
  '8017',
  '8018',
]);

/** Whether text looks like a URL this reader should treat as a Digital Link. */
export function isHttpUrl(text: string): boolean {
  // "http://" or "https://", case-insensitive, without allocating a lowered copy.
  if ((text.charCodeAt(0) | 0x20) !== 0x68 || (text.charCodeAt(1) | 0x20) !== 0x74) return false;
  if ((text.charCodeAt(2) | 0x20) !== 0x74 || (text.charCodeAt(3) | 0x20) !== 0x70) return false;
  const s = (text.charCodeAt(4) | 0x20) === 0x73 ? 5 : 4;
  return text.charCodeAt(s) === 0x3a && text.charCodeAt(s + 1) === 0x2f && text.charCodeAt(s + 2) === 0x2f;
}

function decode(raw: string): string | undefined {
  if (raw.indexOf('%') < 0) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function decoded(ctx: ParseContext, raw: string, at: number, what: string): string | ParseFailure {
  const value = decode(raw);
  if (value === undefined)
    return failAt(
      ctx,
      'bad_syntax',
      at,
      what,
      `'${raw}' has a broken percent-escape (expected %XX hex pairs)`,
    );
  return value;
}

/**
 * Checks a decoded value as AI `ai` and adds it. Positions point at the encoded segment in the
 * input (exact when nothing was percent-encoded).
 */
function addValue(
  ctx: ParseContext,
  pairs: AiPair[],
  ai: string,
  value: string,
  at: number,
): ParseFailure | undefined {
  const def = aiDefinition(ai);
  if (!def)
    return failAt(ctx, 'unknown_ai', at, 'Digital Link', `'${ai}' is not a GS1 Application Identifier`);
  const sub: ParseContext = {
    text: value,
    base: inputOffset(ctx, at),
    map: null,
    referenceYear: ctx.referenceYear,
    aim: ctx.aim,
  };
  const bad = checkAiValue(sub, def, 0, value.length);
  ctx.referenceYear = sub.referenceYear; // keep a year looked up for a date attribute
  if (bad) return bad;
  for (const p of pairs) {
    if (p.ai === ai && p.value !== value) {
      return failAt(
        ctx,
        'bad_syntax',
        at,
        `AI ${ai}`,
        `appears twice with different values ('${p.value}' and '${value}')`,
      );
    }
  }
  pairs.push({ ai, value, at });
  return undefined;
}

/**
 * Reads a GS1 Digital Link URI (GS1 Digital Link standard 1.4): any scheme-host and path prefix,
 * then `/01/{GTIN}` and optional qualifiers `/22/…`, `/10/…`, `/21/…` in that order; data
 * attributes in the query (`?17=261231`); values percent-decoded; GTIN-8/12/13 left-padded to 14.
 */
export function parseDigitalLink(ctx: ParseContext): ParseResult {
  const { text } = ctx;
  const hostStart = text.indexOf('//') + 2;
  let pathStart = text.indexOf('/', hostStart);
  const queryStart = text.indexOf('?', hostStart);
  let hashStart = text.indexOf('#', hostStart);
  if (hashStart < 0) hashStart = text.length;
  const pathEnd = queryStart >= 0 && queryStart < hashStart ? queryStart : hashStart;
  if (pathStart < 0 || pathStart > pathEnd) pathStart = pathEnd;
  // Segments as [start, end) offsets in text, empty ones dropped (`//` or a trailing `/`).
  const segs: number[] = [];
  for (let i = pathStart; i < pathEnd; ) {
    let j = text.indexOf('/', i + 1);
    if (j < 0 || j > pathEnd) j = pathEnd;
    if (j > i + 1) segs.push(i + 1, j);
    i = j;
  }
  let keyAt = -1;
  for (let s = 0; s + 3 < segs.length; s += 2) {
    const name = text.slice(segs[s], segs[s + 1]);
    const a = segs[s + 2]!;
    const b = segs[s + 3]!;
    const len = b - a;
    if (
      (name === '01' || name === 'gtin') &&
      (len === 8 || len === 12 || len === 13 || len === 14) &&
      allDigits(text, a, b)
    ) {
      keyAt = s;
      break;
    }
  }
  if (keyAt < 0) return noGtin(ctx, text, segs, pathStart);

  const pairs: AiPair[] = [];
  const gtinFrom = segs[keyAt + 2]!;
  const rawGtin = text.slice(gtinFrom, segs[keyAt + 3]);
  const gtin = rawGtin.padStart(14, '0');
  const padded: ParseContext = {
    text: gtin,
    base: inputOffset(ctx, gtinFrom) - (14 - rawGtin.length),
    map: null,
    referenceYear: ctx.referenceYear,
    aim: ctx.aim,
  };
  const badGtin = checkAiValue(padded, GTIN_AI, 0, 14);
  if (badGtin) return badGtin;
  pairs.push({ ai: '01', value: gtin, at: gtinFrom });

  let order = -1;
  for (let s = keyAt + 4; s < segs.length; s += 4) {
    const at = segs[s]!;
    const name = text.slice(at, segs[s + 1]);
    const ai = ALIASES[name] ?? name;
    const rank = GTIN_QUALIFIERS.indexOf(ai);
    if (rank < 0) {
      return failAt(
        ctx,
        'bad_syntax',
        at,
        'Digital Link path',
        `'${name}' is not a key qualifier of a GTIN: expected /22/, /10/ or /21/ in that order (data attributes go in the query, e.g. ?17=261231)`,
      );
    }
    if (rank <= order) {
      return failAt(
        ctx,
        'bad_syntax',
        at,
        'Digital Link path',
        `qualifier ${ai} is out of order: qualifiers of a GTIN come in the order 22, 10, 21`,
      );
    }
    order = rank;
    if (s + 2 >= segs.length) {
      return failAt(
        ctx,
        'bad_syntax',
        at,
        'Digital Link path',
        `qualifier ${ai} has no value (expected /${ai}/{value})`,
      );
    }
    const vAt = segs[s + 2]!;
    const value = decoded(ctx, text.slice(vAt, segs[s + 3]), vAt, `AI ${ai}`);
    if (typeof value !== 'string') return value;
    const bad = addValue(ctx, pairs, ai, value, vAt);
    if (bad) return bad;
  }

  if (queryStart >= 0 && queryStart < hashStart) {
    const bad = readQuery(ctx, pairs, queryStart + 1, hashStart);
    if (bad) return bad;
  }
  return gs1Result(ctx, pairs);
}

/** Query `k=v&…`: AI keys become attributes; other keys (linkType, utm_…) are ignored (DL §6.6). */
function readQuery(ctx: ParseContext, pairs: AiPair[], from: number, to: number): ParseFailure | undefined {
  const { text } = ctx;
  for (let i = from; i < to; ) {
    let amp = text.indexOf('&', i);
    if (amp < 0 || amp > to) amp = to;
    const eq = text.indexOf('=', i);
    if (eq > i && eq < amp) {
      const name = text.slice(i, eq);
      const ai = ALIASES[name] ?? name;
      if (allDigits(ai) && ai.length >= 2 && ai.length <= 4) {
        if (ai === '01' || GTIN_QUALIFIERS.includes(ai)) {
          return failAt(
            ctx,
            'bad_syntax',
            i,
            'Digital Link query',
            `AI ${ai} is a key or key qualifier and belongs in the path (…/01/{GTIN}/10/{lot}/21/{serial}), not the query`,
          );
        }
        const value = decoded(ctx, text.slice(eq + 1, amp), eq + 1, `AI ${ai}`);
        if (typeof value !== 'string') return value;
        const bad = addValue(ctx, pairs, ai, value, eq + 1);
        if (bad) return bad;
      }
    }
    i = amp + 1;
  }
  return undefined;
}

function noGtin(ctx: ParseContext, text: string, segs: number[], pathStart: number): ParseFailure {
  for (let s = 0; s + 1 < segs.length; s += 2) {
    const name = text.slice(segs[s], segs[s + 1]);
    if (OTHER_KEYS.has(name)) {
      return failure(
        'unrecognised',
        `Digital Link at position ${inputOffset(ctx, segs[s]!)}: primary key AI ${name} (${aiDefinition(name)?.title ?? ''}) does not identify a product unit; expected /01/{GTIN}`,
        inputOffset(ctx, segs[s]!),
        ctx.aim,
      );
    }
    if (name === '01' || name === 'gtin') {
      const v = s + 3 < segs.length ? text.slice(segs[s + 2], segs[s + 3]) : '';
      return failAt(
        ctx,
        'bad_length',
        segs[s]!,
        'Digital Link',
        `GTIN '${v}' must be 8, 12, 13 or 14 digits`,
      );
    }
  }
  return failAt(
    ctx,
    'bad_syntax',
    pathStart,
    'Digital Link',
    'the path has no /01/{GTIN}: expected e.g. https://id.gs1.org/01/09506000134352/21/12345',
  );
}
