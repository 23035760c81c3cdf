import { readAim } from './aim.js';
import { failure, type ParseContext } from './context.js';
import type { AimId, ParseFailure } from './types.js';

/** Input cap (4 KiB): larger than any 2D code a till scanner reads (DataMatrix max 3116 chars). */
export const MAX_INPUT_LENGTH = 4096;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Scanner bytes to text: pure ASCII as is, anything else as UTF-8 (invalid bytes become U+FFFD). */
export function decodeBytes(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) return utf8.decode(bytes);
  }
  return latin1.decode(bytes);
}

/** Padding and scanner suffixes: CR, LF, Tab, space and other C0 controls, but never GS (0x1D). */
function isPad(c: number): boolean {
  return c <= 0x20 && c !== 0x1d;
}

/**
 * Escaped and visible stand-ins for GS that scanners, wedges and copy-paste produce:
 * `<GS>`/`<gs>`, `{GS}`, `\u001d`, `\x1d` (hex in either case) and `␝` (U+241D).
 * Returns the stand-in's length at text[i], or 0.
 */
function substituteAt(text: string, i: number, extra: string | undefined): number {
  const c = text.charCodeAt(i);
  if (c === 0x3c || c === 0x7b) {
    // <GS> <gs> {GS}
    const close = c === 0x3c ? 0x3e : 0x7d;
    const g = text.charCodeAt(i + 1) | 0x20;
    const s = text.charCodeAt(i + 2) | 0x20;
    if (g === 0x67 && s === 0x73 && text.charCodeAt(i + 3) === close) return 4;
  } else if (c === 0x5c) {
    const kind = text.charCodeAt(i + 1) | 0x20;
    if (kind === 0x75 && text.startsWith('001', i + 2) && (text.charCodeAt(i + 5) | 0x20) === 0x64) return 6;
    if (kind === 0x78 && text.charCodeAt(i + 2) === 0x31 && (text.charCodeAt(i + 3) | 0x20) === 0x64)
      return 4;
  } else if (c === 0x241d) {
    return 1;
  }
  if (extra !== undefined && c === extra.charCodeAt(0) && text.startsWith(extra, i)) return extra.length;
  return 0;
}

/**
 * Replaces GS stand-ins by 0x1D, keeping map[i] = input offset of out[i] so errors still
 * point into what the user sent. Returns undefined when there is nothing to replace.
 */
function replaceSubstitutes(
  text: string,
  base: number,
  extra: string | undefined,
): { text: string; map: Int32Array } | undefined {
  const n = text.length;
  const first = extra === undefined ? -1 : extra.charCodeAt(0);
  let i = 0;
  for (; i < n; i++) {
    // Cheap first-character test inline; the full check only at candidate characters.
    const c = text.charCodeAt(i);
    if (
      (c === 0x3c || c === 0x5c || c === 0x7b || c === 0x241d || c === first) &&
      substituteAt(text, i, extra) > 0
    )
      break;
  }
  if (i === n) return undefined;
  let out = text.slice(0, i);
  const map = new Int32Array(n + 1);
  for (let k = 0; k < i; k++) map[k] = base + k;
  let k = i;
  while (i < n) {
    const hit = substituteAt(text, i, extra);
    map[k++] = base + i;
    if (hit > 0) {
      out += '\x1d';
      i += hit;
    } else {
      out += text[i];
      i++;
    }
  }
  map[k] = base + n;
  return { text: out, map };
}

export interface NormaliseOptions {
  gs?: string | undefined;
  referenceYear: number;
  maxLength: number;
  /** AIM identifier reported outside the data, e.g. by a HID POS scanner. */
  aim?: string | undefined;
}

/**
 * Raw scan → parse context: caps the length, strips padding/suffixes, reads and removes the AIM
 * prefix, replaces GS substitutes.
 */
export function normalise(
  input: string | Uint8Array,
  options: NormaliseOptions,
): ParseContext | ParseFailure {
  const units = input.length;
  if (units > options.maxLength) {
    const unit = typeof input === 'string' ? 'characters' : 'bytes';
    return failure(
      'too_long',
      `input is ${units} ${unit}, more than the ${options.maxLength} allowed: not a code a scanner reads`,
      options.maxLength,
    );
  }
  const raw = typeof input === 'string' ? input : decodeBytes(input);
  let start = 0;
  let end = raw.length;
  while (start < end && isPad(raw.charCodeAt(start))) start++;
  while (end > start && isPad(raw.charCodeAt(end - 1))) end--;
  if (start === end)
    return failure('empty', 'no data: the scan is empty or only whitespace/suffix characters');
  const inline: AimId | undefined = readAim(raw, start, end);
  const origin = inline ? start + 3 : 0;
  if (inline) start += 3;
  // An identifier in the data wins over one the transport reported separately (HID POS).
  const aim = inline ?? (options.aim === undefined ? undefined : readAim(options.aim, 0, 3));
  if (start === end)
    return failure('empty', `no data after the AIM symbology identifier ${aim?.raw}`, 0, aim);
  let text = start === 0 && end === raw.length ? raw : raw.slice(start, end);
  let map: Int32Array | null = null;
  const replaced = replaceSubstitutes(text, start - origin, options.gs);
  if (replaced) {
    text = replaced.text;
    map = replaced.map;
  }
  return { text, base: start - origin, map, referenceYear: options.referenceYear, aim };
}
