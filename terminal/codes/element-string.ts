import { describeChar, LAYOUT_HINT } from './charset.js';
import { failAt, type ParseContext } from './context.js';
import { type AiDefinition, aiAt, aiDefinition } from './gs1-ai.js';
import { aiLabel, checkAiValue } from './gs1-value.js';
import type { ParseFailure } from './types.js';

/** ASCII group separator: FNC1 as transmitted by scanners (GenSpec §7.8.5). */
export const GS = 0x1d;

/** One AI read from an element string or Digital Link; `at` is its offset in the context text. */
export interface AiPair {
  ai: string;
  value: string;
  at: number;
}

function unknownAi(ctx: ParseContext, i: number): ParseFailure {
  const { text } = ctx;
  for (let k = i; k < i + 2; k++) {
    const c = text.charCodeAt(k);
    if (c >= 48 && c <= 57) continue;
    if (k >= text.length) {
      return failAt(
        ctx,
        'bad_syntax',
        k,
        'element string',
        'data ends in the middle of an AI (expected 2 to 4 digits)',
      );
    }
    const hint = c >= 128 ? `; ${LAYOUT_HINT}` : '';
    const code = c >= 128 ? 'bad_character' : 'bad_syntax';
    return failAt(
      ctx,
      code,
      k,
      'element string',
      `expected an AI (2 to 4 digits) but found ${describeChar(text, k)}${hint}`,
    );
  }
  let digits = '';
  for (let k = i; k < i + 4 && k < text.length && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57; k++) {
    digits += text[k];
  }
  return failAt(
    ctx,
    'unknown_ai',
    i,
    'element string',
    `no GS1 Application Identifier starts with '${digits}'`,
  );
}

function pushPair(
  ctx: ParseContext,
  pairs: AiPair[],
  def: AiDefinition,
  value: string,
  at: number,
): ParseFailure | undefined {
  for (const p of pairs) {
    if (p.ai === def.ai && p.value !== value) {
      return failAt(
        ctx,
        'bad_syntax',
        at,
        `AI ${def.ai}`,
        `appears twice with different values ('${p.value}' and '${value}')`,
      );
    }
  }
  pairs.push({ ai: def.ai, value, at });
  return undefined;
}

/**
 * Reads a GS1 element string (GenSpec §7.8): AI, value, AI, value … Predefined-length AIs
 * (01, 17, …) end after their fixed length; every other value ends at GS (0x1D) or the end of
 * data. Leading and repeated GS (FNC1 in first position, empty separators) are skipped.
 */
export function readElementString(ctx: ParseContext, start = 0): AiPair[] | ParseFailure {
  const { text } = ctx;
  const n = text.length;
  const pairs: AiPair[] = [];
  let i = start;
  while (i < n) {
    if (text.charCodeAt(i) === GS) {
      i++;
      continue;
    }
    const def = aiAt(text, i);
    if (!def) return unknownAi(ctx, i);
    const from = i + def.ai.length;
    let to: number;
    if (def.predefined) {
      to = from + def.maxLength;
      if (to > n) return fixedTooShort(ctx, def, from, n);
    } else {
      const gs = text.indexOf('\x1d', from);
      to = gs < 0 ? n : gs;
      if (to - from > def.maxLength) {
        const detail = `value runs ${to - from} characters, more than the ${def.maxLength} allowed (format ${def.format}); a GS separator is probably missing after it`;
        return failAt(ctx, 'bad_length', from, aiLabel(def), detail);
      }
      if (to === from && def.minLength > 0) {
        return failAt(ctx, 'bad_length', from, aiLabel(def), `value is empty, expected format ${def.format}`);
      }
    }
    const bad = checkAiValue(ctx, def, from, to);
    if (bad) {
      // A GS inside a fixed-length field fails the character check (GS is in no class): only
      // then look for it, to report the field as too short rather than a bad character.
      return def.predefined && firstGs(text, from, to) >= 0 ? fixedTooShort(ctx, def, from, n) : bad;
    }
    const dup = pushPair(ctx, pairs, def, text.slice(from, to), i);
    if (dup) return dup;
    i = to;
  }
  if (pairs.length === 0) return failAt(ctx, 'empty', start, 'element string', 'no AI found');
  return pairs;
}

/**
 * Reads the human-readable form `(01)09506000134352(17)201225(10)ABC123` (GenSpec §4.14): an AI
 * in parentheses, then its value up to the next `(digits)` group.
 */
export function readBracketed(ctx: ParseContext): AiPair[] | ParseFailure {
  const { text } = ctx;
  const n = text.length;
  const pairs: AiPair[] = [];
  let i = 0;
  while (i < n) {
    if (text.charCodeAt(i) !== 40) {
      return failAt(
        ctx,
        'bad_syntax',
        i,
        'bracketed element string',
        `expected '(' and an AI, found ${describeChar(text, i)}`,
      );
    }
    const close = text.indexOf(')', i);
    const ai = close > 0 ? text.slice(i + 1, close) : '';
    const def = aiDefinition(ai);
    if (!def) {
      return failAt(
        ctx,
        'unknown_ai',
        i + 1,
        'bracketed element string',
        `'${ai || text.slice(i + 1, i + 5)}' is not a GS1 Application Identifier`,
      );
    }
    // Spaces around a group, as printed under barcodes or typed from a label, are layout:
    // no GS1 value may contain a space (set 82 has none).
    let from = close + 1;
    while (from < n && text.charCodeAt(from) === 32) from++;
    let next = from;
    while (next < n && !(text.charCodeAt(next) === 40 && isAiGroup(text, next))) next++;
    let to = next;
    while (to > from && text.charCodeAt(to - 1) === 32) to--;
    const bad = checkAiValue(ctx, def, from, to) ?? pushPair(ctx, pairs, def, text.slice(from, to), i);
    if (bad) return bad;
    i = next;
  }
  return pairs;
}

/** Whether text[i] is '(' followed by 2–4 digits and ')'. */
function isAiGroup(text: string, i: number): boolean {
  let k = i + 1;
  while (k < text.length && k - i <= 5 && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k++;
  return text.charCodeAt(k) === 41 && k - i - 1 >= 2 && k - i - 1 <= 4;
}

/** A predefined-length value cut short by a GS or the end of data. */
function fixedTooShort(ctx: ParseContext, def: AiDefinition, from: number, n: number): ParseFailure {
  const gs = firstGs(ctx.text, from, n);
  const got = (gs >= 0 ? gs : n) - from;
  const detail = `value has ${got} characters, expected ${def.maxLength} (format ${def.format})`;
  return failAt(ctx, 'bad_length', from, aiLabel(def), detail);
}

/** Offset of the first GS in text[from, to), or -1. */
function firstGs(text: string, from: number, to: number): number {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === GS) return k;
  return -1;
}
