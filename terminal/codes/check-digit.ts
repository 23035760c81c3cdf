/**
 * GS1 mod-10 check digit (GS1 General Specifications §7.9.1): weights 3,1,3,… from the
 * rightmost data digit; check = (10 − sum mod 10) mod 10. `digits` excludes the check digit.
 */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  let weight = 3;
  for (let i = digits.length - 1; i >= 0; i--) {
    sum += (digits.charCodeAt(i) - 48) * weight;
    weight = 4 - weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether a full numeric key (GTIN-8/12/13/14, SSCC-18) ends in its correct check digit. */
export function hasValidCheckDigit(full: string): boolean {
  if (full.length < 2 || !/^\d+$/.test(full)) return false;
  return gs1CheckDigit(full.slice(0, -1)) === full.charCodeAt(full.length - 1) - 48;
}
