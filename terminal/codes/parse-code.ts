import { VeritermError } from '../errors.js';
import { GS1_ELEMENT_AIMS, GTIN_AIMS, readAim } from './aim.js';
import { allDigits, describeChar, LAYOUT_HINT } from './charset.js';
import { cn20Result } from './cn20.js';
import { failAt, failure, type ParseContext } from './context.js';
import { isHttpUrl, parseDigitalLink } from './digital-link.js';
import { readBracketed, readElementString } from './element-string.js';
import { aiAt } from './gs1-ai.js';
import { gs1Result } from './gs1-result.js';
import { MAX_INPUT_LENGTH, type NormaliseOptions, normalise } from './normalize.js';
import { expandUpcE, plainGtinResult } from './plain-gtin.js';
import type { ParseOptions, ParseResult } from './types.js';

/** Normalisation settings when no options are given: shared, so a parse allocates none. */
const DEFAULTS: NormaliseOptions = { gs: undefined, referenceYear: 0, maxLength: MAX_INPUT_LENGTH };

function checkOptions(options: ParseOptions): void {
  const { gs, referenceYear, maxLength, aim } = options;
  if (
    aim !== undefined &&
    (typeof aim !== 'string' || aim.length !== 3 || readAim(aim, 0, 3) === undefined)
  ) {
    throw new VeritermError(
      'bad_option',
      `parseCode: expected option aim to be an AIM identifier like ']d2', got ${JSON.stringify(aim)}`,
    );
  }
  if (gs !== undefined && (typeof gs !== 'string' || gs.length < 1 || gs.length > 8 || /[0-9]/.test(gs))) {
    throw new VeritermError(
      'bad_option',
      `parseCode: expected option gs to be 1 to 8 characters without digits, got ${JSON.stringify(gs)}`,
    );
  }
  if (
    referenceYear !== undefined &&
    !(Number.isInteger(referenceYear) && referenceYear >= 1951 && referenceYear <= 9999)
  ) {
    throw new VeritermError(
      'bad_option',
      `parseCode: expected option referenceYear to be a year (1951–9999), got ${referenceYear}`,
    );
  }
  if (
    maxLength !== undefined &&
    !(Number.isInteger(maxLength) && maxLength >= 1 && maxLength <= MAX_INPUT_LENGTH)
  ) {
    throw new VeritermError(
      'bad_option',
      `parseCode: expected option maxLength to be an integer 1–${MAX_INPUT_LENGTH}, got ${maxLength}`,
    );
  }
}

function elementString(ctx: ParseContext): ParseResult {
  const pairs = ctx.text.charCodeAt(0) === 40 ? readBracketed(ctx) : readElementString(ctx);
  return Array.isArray(pairs) ? gs1Result(ctx, pairs) : pairs;
}

/** Digits with spaces between groups ("1234 5678 …", typed from a printed label) → digits, else undefined. */
function spacedDigits(text: string): string | undefined {
  if (text.indexOf(' ') < 0) return allDigits(text) ? text : undefined;
  const digits = text.replaceAll(' ', '');
  return allDigits(digits) ? digits : undefined;
}

/**
 * Reads one scan (string or raw bytes, with or without an AIM symbology identifier) into a
 * canonical unit code, or a coded failure naming the problem and its position. Never throws on
 * any input; throws VeritermError('bad_option') only for invalid options.
 *
 * Accepts: 20-digit supervision codes (`cn20`), GS1 element strings (GS or substitutes, or the
 * bracketed human-readable form), GS1 Digital Link URIs, bare EAN-8/UPC-A/EAN-13/ITF-14.
 */
export function parseCode(input: string | Uint8Array, options?: ParseOptions): ParseResult {
  if (options) checkOptions(options);
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    return failure(
      'unrecognised',
      `expected a string or bytes, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const ctx = normalise(
    input,
    options === undefined
      ? DEFAULTS
      : {
          gs: options.gs,
          referenceYear: options.referenceYear ?? 0,
          maxLength: options.maxLength ?? MAX_INPUT_LENGTH,
          aim: options.aim,
        },
  );
  if ('ok' in ctx) return ctx;
  const { text, aim } = ctx;
  const aimRaw = aim?.raw;

  if (aimRaw !== undefined && GS1_ELEMENT_AIMS.has(aimRaw)) {
    return isHttpUrl(text) ? parseDigitalLink(ctx) : elementString(ctx);
  }
  if (aimRaw !== undefined && GTIN_AIMS.has(aimRaw)) {
    const n = text.length;
    // ]E0 with 8 digits is a UPC-E symbol (EAN-8 reads as ]E4): check it as its UPC-A.
    const upcA = aimRaw === ']E0' && n === 8 && allDigits(text) ? expandUpcE(text) : undefined;
    if (upcA !== undefined) return plainGtinResult(ctx, upcA, 7, 'UPC-E');
    if ((n === 8 || n === 12 || n === 13 || n === 14) && allDigits(text)) return plainGtinResult(ctx, text);
    return failAt(
      ctx,
      'bad_syntax',
      0,
      `${aimRaw} linear barcode`,
      `expected 8, 12, 13 or 14 digits (EAN/UPC/ITF-14), got '${text.slice(0, 40)}'`,
    );
  }
  if (isHttpUrl(text)) return parseDigitalLink(ctx);
  const c0 = text.charCodeAt(0);
  if (c0 === 40 || c0 === 0x1d || text.indexOf('\x1d') >= 0) return elementString(ctx);
  const digits = spacedDigits(text);
  if (digits !== undefined) {
    const n = digits.length;
    if (n === 20) return cn20Result(ctx, digits);
    if (n === 8 || n === 12 || n === 13 || n === 14) return plainGtinResult(ctx, digits, text.length - 1);
    if (digits === text && text.startsWith('01')) return elementString(ctx);
    return failAt(
      ctx,
      'bad_length',
      0,
      'code',
      `${n} digits is not a known code length: expected 20 (supervision code), 8, 12, 13 or 14 (EAN/UPC/GTIN), or a GS1 element string starting with AI 01`,
    );
  }
  // Without AIM or GS, only text that starts like a GS1 key (00, 01, 02 …) is read as GS1;
  // "2024-01-01" or "10 pcs" is not a scan of a unit code.
  if (c0 === 48 && aiAt(text, 0)) return elementString(ctx);
  return unrecognised(ctx);
}

function unrecognised(ctx: ParseContext): ParseResult {
  const { text } = ctx;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      return failAt(
        ctx,
        'bad_character',
        i,
        'code',
        `${describeChar(text, i)} is outside the GS1 character set 82; ${LAYOUT_HINT}`,
      );
    }
  }
  return failAt(
    ctx,
    'unrecognised',
    0,
    'code',
    'not a known code: expected 20 digits (supervision code), an EAN/UPC/GTIN, a GS1 element string (e.g. 0109506000134352 21 12345 with GS) or a GS1 Digital Link URL',
  );
}
