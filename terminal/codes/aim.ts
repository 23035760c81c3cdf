import type { AimId } from './types.js';

const cache = new Map<number, AimId>();

/**
 * Reads an AIM symbology identifier (ISO/IEC 15424) at text[at]: `]`, a symbology letter and
 * one modifier character, e.g. `]d2` (GS1 DataMatrix), `]C1` (GS1-128), `]Q1` (QR).
 */
export function readAim(text: string, at: number, end: number): AimId | undefined {
  if (end - at < 3 || text.charCodeAt(at) !== 0x5d) return undefined;
  const s = text.charCodeAt(at + 1);
  const m = text.charCodeAt(at + 2);
  const letter = (s >= 65 && s <= 90) || (s >= 97 && s <= 122);
  const modifier = (m >= 48 && m <= 57) || (m >= 65 && m <= 90) || (m >= 97 && m <= 122);
  if (!letter || !modifier) return undefined;
  // One shared object per identifier: scans repeat a handful of them, so parsing allocates none.
  const id = s * 128 + m;
  let aim = cache.get(id);
  if (aim === undefined) {
    const raw = text.slice(at, at + 3);
    aim = Object.freeze({ raw, symbology: raw[1]!, modifier: raw[2]! });
    cache.set(id, aim);
  }
  return aim;
}

/**
 * Symbologies whose data is always a GS1 element string (FNC1 in first position):
 * GS1 DataMatrix, GS1-128, GS1 QR, GS1 DataBar, GS1 DotCode (ISO/IEC 15424 Annex; GenSpec §5.1.2).
 */
export const GS1_ELEMENT_AIMS: ReadonlySet<string> = new Set([']d2', ']C1', ']Q3', ']e0', ']J1']);

/** Symbologies that carry only a GTIN: EAN-13/UPC-A, EAN-8, ITF with check digit (ITF-14). */
export const GTIN_AIMS: ReadonlySet<string> = new Set([']E0', ']E4', ']I1']);
