import { currentYear } from './dates.js';
import type { AimId, ParseErrorCode, ParseFailure } from './types.js';

/**
 * The normalised text being parsed and how to map its offsets back to the caller's input
 * (after the AIM prefix), so messages point at what the user actually sent.
 */
export interface ParseContext {
  /** Normalised text: AIM prefix, suffix and padding removed, GS substitutes replaced by 0x1D. */
  text: string;
  /** Offset of text[0] in the input after the AIM prefix. */
  base: number;
  /** When substitutes were replaced: map[i] = input offset of text[i] (length text.length + 1). */
  map: Int32Array | null;
  /** Year YY dates resolve against; 0 = the current year, looked up only when a date is read. */
  referenceYear: number;
  aim: AimId | undefined;
}

/** Input offset (after the AIM prefix) of text[i]. */
export function inputOffset(ctx: ParseContext, i: number): number {
  return ctx.map ? (ctx.map[i] ?? i) : ctx.base + i;
}

export function failure(code: ParseErrorCode, message: string, position?: number, aim?: AimId): ParseFailure {
  const error: ParseFailure['error'] = { code, message };
  if (position !== undefined) error.position = position;
  const result: ParseFailure = { ok: false, error };
  if (aim) result.aim = aim;
  return result;
}

/** A failure at text[i] of the context: the message gets "at position N" from the input. */
export function failAt(
  ctx: ParseContext,
  code: ParseErrorCode,
  i: number,
  what: string,
  detail: string,
): ParseFailure {
  const position = inputOffset(ctx, i);
  return failure(code, `${what} at position ${position}: ${detail}`, position, ctx.aim);
}

/** The context's reference year, reading the clock once per parse and only when a date needs it. */
export function yearOf(ctx: ParseContext): number {
  if (ctx.referenceYear === 0) ctx.referenceYear = currentYear();
  return ctx.referenceYear;
}
