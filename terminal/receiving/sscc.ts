import { GS1_ELEMENT_AIMS, readAim } from '../codes/aim.js';
import { hasValidCheckDigit } from '../codes/check-digit.js';

/** The key of a logistic unit: `00` + its 18-digit SSCC (as unit keys carry their AI 01). */
export function ssccKey(sscc: string): string {
  return `00${sscc}`;
}

export function isSsccValid(sscc: string): boolean {
  return /^\d{18}$/.test(sscc) && hasValidCheckDigit(sscc);
}

/**
 * An SSCC label scan → its key, or undefined when the scan is not an SSCC. Accepts GS1-128
 * (`]C1` + `00…`), the bracketed form `(00)…`, and bare `00` + 18 digits. The code reader refuses
 * AI 00 on purpose (an SSCC is not a product unit), so receiving reads it here. A bare
 * 20-digit `00…` text is also a valid cn20 syntax: the session decides by what is on the note.
 * Only AI 00 alone is taken; a label with more AIs after the SSCC is read by its first 20 digits.
 */
export function readSscc(scan: string): string | undefined {
  let text = scan.trim();
  const aim = text.startsWith(']') ? readAim(text, 0, text.length) : undefined;
  // A plain Code 128 (`]C0`) or any non-GS1 symbology is not an SSCC label (it may be a cn20).
  if (aim && !GS1_ELEMENT_AIMS.has(aim.raw)) return undefined;
  if (aim) text = text.slice(3);
  if (text.startsWith('\x1d')) text = text.slice(1);
  if (text.startsWith('(00)')) text = `00${text.slice(4)}`;
  if (!text.startsWith('00') || text.length < 20) return undefined;
  const digits = text.slice(2, 20);
  const after = text.slice(20);
  // After the SSCC: nothing, or further AIs (GS-separated or not); never more digits of one field.
  if (after !== '' && aim === undefined && !after.startsWith('\x1d') && !after.startsWith('('))
    return undefined;
  return isSsccValid(digits) ? ssccKey(digits) : undefined;
}
