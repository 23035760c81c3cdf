/**
 * Character-set lookups, as flat tables so the hot path is one array read per character.
 *
 * GS1 AI encodable character set 82 (GS1 General Specifications §7.11, Figure 7.11-1):
 * ``!"%&'()*+,-./0-9:;<=>?A-Z_a-z``. Set 39 (§7.11, Figure 7.11-2) is used by a few AIs (8010).
 */
export const SET82 = new Uint8Array(128);
export const SET39 = new Uint8Array(128);
export const DIGIT = new Uint8Array(128);
/** Base64url (RFC 4648 §5) plus '=' padding, for AI 8030 (GenSpec §7.11 Figure 7.11-3). */
export const SET64 = new Uint8Array(128);

for (const ch of '!"%&\'()*+,-./:;<=>?_') SET82[ch.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) {
  SET82[c] = 1;
  SET39[c] = 1;
  DIGIT[c] = 1;
}
for (let c = 65; c <= 90; c++) {
  SET82[c] = 1;
  SET82[c + 32] = 1;
  SET39[c] = 1;
}
for (const ch of '#-/') SET39[ch.charCodeAt(0)] = 1;
for (let c = 0; c < 128; c++)
  if (SET82[c] === 1 && /[A-Za-z0-9_-]/.test(String.fromCharCode(c))) SET64[c] = 1;
SET64[0x3d] = 1;

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether text[from, to) is all ASCII digits. */
export function allDigits(text: string, from = 0, to = text.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `'Ф' (U+0424)` for messages: control characters and non-ASCII shown by code point. */
export function describeChar(text: string, index: number): string {
  const cp = text.codePointAt(index) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp < 0x20 || cp === 0x7f) return hex;
  return `'${String.fromCodePoint(cp)}' (${hex})`;
}

/**
 * The hint every "character outside set 82" message carries: scanners that emulate a keyboard
 * type through the host's layout, so a Cyrillic or German layout turns letters into 'Ф' or 'ü'.
 */
export const LAYOUT_HINT =
  'this usually means a keyboard-layout mismatch between scanner and host (e.g. a Cyrillic or German layout ' +
  'turning letters into Cyrillic or umlauts)';
