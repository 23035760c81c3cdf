import { parseCode, productKeyOf } from '../codes/index.js';

/** A unit key split for compact storage: the product key and what follows it in the unit key. */
export interface SplitKey {
  key: string;
  productKey: string;
  /** `key` = `productKey` + `rest` (cn20: serial + check; GS1: `21` + serial). */
  rest: string;
}

export type UnitKeyResult = ({ ok: true } & SplitKey) | { ok: false; code: string; message: string };

/**
 * A unit code (as scanned or as listed on a note) → its canonical key through the kiosk's own code
 * reader (terminal/codes), so a note and a scan of the same unit always meet. A product-only code
 * (EAN/UPC, GTIN without serial) names no unit and is refused.
 */
export function unitKeyOf(code: string): UnitKeyResult {
  const parsed = parseCode(code);
  if (!parsed.ok) return { ok: false, code: parsed.error.code, message: parsed.error.message };
  if (parsed.kind === 'gtin') {
    return {
      ok: false,
      code: 'product_only',
      message: `${parsed.key} names a product, not a unit: expected a serialised code (cn20, or GTIN + AI 21)`,
    };
  }
  return { ok: true, ...splitKey(parsed.key, productKeyOf(parsed)) };
}

export function splitKey(key: string, productKey: string): SplitKey {
  return { key, productKey, rest: key.slice(productKey.length) };
}
