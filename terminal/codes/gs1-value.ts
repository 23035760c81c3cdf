import { describeChar, LAYOUT_HINT, SET82 } from './charset.js';
import { failAt, type ParseContext, yearOf } from './context.js';
import { checkHhmm, checkYymmdd } from './dates.js';
import type { AiComponent, AiDefinition } from './gs1-ai.js';
import type { ParseFailure } from './types.js';

const CLASS_NAME = {
  N: 'a digit',
  X: 'a GS1 character set 82 character',
  Y: 'a GS1 character set 39 character',
  Z: 'a base64url character',
} as const;

/** Names a key AI's check-digit kind for messages. */
const KEY_NAMES: Record<string, string> = {
  '00': 'SSCC',
  '01': 'GTIN',
  '02': 'GTIN',
  '03': 'GTIN',
  '8006': 'GTIN',
};

/**
 * Checks that text[from, to) is a valid value of `def` (character classes, component lengths,
 * check digits, dates). Returns undefined when valid. Offsets in messages are input offsets.
 */
export function checkAiValue(
  ctx: ParseContext,
  def: AiDefinition,
  from: number,
  to: number,
): ParseFailure | undefined {
  const { text } = ctx;
  const length = to - from;
  if (length < def.minLength || length > def.maxLength) {
    const expected =
      def.minLength === def.maxLength ? `${def.maxLength}` : `${def.minLength} to ${def.maxLength}`;
    return failAt(
      ctx,
      'bad_length',
      from,
      aiLabel(def),
      `value has ${length} characters, expected ${expected} (format ${def.format})`,
    );
  }
  let at = from;
  const components = def.components;
  for (let k = 0; k < components.length; k++) {
    const comp = components[k] as AiComponent;
    const last = k === components.length - 1;
    const end = last ? to : Math.min(to, at + comp.max);
    const table = comp.table;
    for (let i = at; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 128 && table[c] === 1) continue;
      const shown = describeChar(text, i);
      const bad = c >= 128 || SET82[c] !== 1 ? 'bad_character' : 'bad_syntax';
      const hint = bad === 'bad_character' ? `; ${LAYOUT_HINT}` : '';
      return failAt(
        ctx,
        bad,
        i,
        aiLabel(def),
        `${shown} is not ${CLASS_NAME[comp.cls]} (format ${def.format})${hint}`,
      );
    }
    if (end - at < comp.min) {
      return failAt(
        ctx,
        'bad_length',
        at,
        aiLabel(def),
        `component has ${end - at} characters, expected at least ${comp.min} (format ${def.format})`,
      );
    }
    if (comp.checkDigit) {
      const expected = checkDigitOf(text, at, end - 1);
      const actual = text.charCodeAt(end - 1) - 48;
      if (expected !== actual) {
        const name = KEY_NAMES[def.ai] ?? 'key';
        return failAt(
          ctx,
          'bad_check_digit',
          end - 1,
          aiLabel(def),
          `${name} check digit is ${actual}, expected ${expected} (GS1 mod-10)`,
        );
      }
    }
    if (comp.date) {
      const problem =
        checkYymmdd(text, at, comp.date === 'yymmd0', yearOf(ctx)) ??
        (comp.date === 'yymmddhhmm' ? shift(checkHhmm(text, at + 6), 6) : undefined);
      if (problem) {
        const format = comp.date === 'yymmddhhmm' ? 'YYMMDDhhmm' : 'YYMMDD';
        return failAt(
          ctx,
          'bad_date',
          at + problem.offset,
          aiLabel(def),
          `${problem.problem} (expected ${format})`,
        );
      }
    }
    at = end;
  }
  return undefined;
}

function shift<T extends { offset: number }>(p: T | undefined, by: number): T | undefined {
  if (p) p.offset += by;
  return p;
}

/** `AI 17 (USE BY OR EXPIRY)`, built only when a message needs it. */
export function aiLabel(def: AiDefinition): string {
  return `AI ${def.ai} (${def.title})`;
}

/** GS1 mod-10 check digit of the digits text[from, to), without slicing (GenSpec §7.9.1). */
function checkDigitOf(text: string, from: number, to: number): number {
  let sum = 0;
  let weight = 3;
  for (let i = to - 1; i >= from; i--) {
    sum += (text.charCodeAt(i) - 48) * weight;
    weight = 4 - weight;
  }
  return (10 - (sum % 10)) % 10;
}
