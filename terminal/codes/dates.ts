/** Date fields of GS1 AIs (GS1 General Specifications §7.12 and §3.4.x). */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
}

let cachedYear = 0;
let cachedUntil = 0;
/** The current UTC year, re-read at most once a minute (parsing must not allocate a Date per scan). */
export function currentYear(): number {
  const now = Date.now();
  if (now >= cachedUntil) {
    cachedYear = new Date(now).getUTCFullYear();
    cachedUntil = now + 60_000;
  }
  return cachedYear;
}

/**
 * Full year of a two-digit YY (referenceYear 0 = the current year) (GenSpec §7.12): with D = YY − (current year mod 100),
 * D in 51…99 → previous century, D in −99…−50 → next century, otherwise the current one.
 */
export function fullYear(yy: number, referenceYear: number): number {
  if (referenceYear === 0) referenceYear = currentYear();
  const century = Math.floor(referenceYear / 100) * 100;
  const d = yy - (referenceYear % 100);
  if (d >= 51) return century - 100 + yy;
  if (d <= -50) return century + 100 + yy;
  return century + yy;
}

function two(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

/** Problem with a YYMMDD (digits already checked) at text[at], or undefined when valid. */
export function checkYymmdd(
  text: string,
  at: number,
  allowDayZero: boolean,
  referenceYear: number,
): { problem: string; offset: number } | undefined {
  const month = two(text, at + 2);
  if (month < 1 || month > 12)
    return { problem: `month ${text.slice(at + 2, at + 4)} is not a month`, offset: 2 };
  const day = two(text, at + 4);
  const year = fullYear(two(text, at), referenceYear);
  if (day === 0 && allowDayZero) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) {
    return {
      problem: `day ${text.slice(at + 4, at + 6)} does not exist in ${year}-${text.slice(at + 2, at + 4)}`,
      offset: 4,
    };
  }
  return undefined;
}

/** Problem with hhmm at text[at] (digits already checked), or undefined. */
export function checkHhmm(text: string, at: number): { problem: string; offset: number } | undefined {
  if (two(text, at) > 23) return { problem: `hour ${text.slice(at, at + 2)} is not an hour`, offset: 0 };
  if (two(text, at + 2) > 59)
    return { problem: `minute ${text.slice(at + 2, at + 4)} is not a minute`, offset: 2 };
  return undefined;
}

/**
 * ISO date of a valid YYMMDD. Day 00 ("only year and month known", GenSpec §3.4.7) resolves to
 * the month's last day (`endOfMonth`, for expiry-like dates) or its first day.
 */
export function yymmddToIso(value: string, referenceYear: number, endOfMonth: boolean): string {
  const year = fullYear(two(value, 0), referenceYear);
  const month = two(value, 2);
  let day = two(value, 4);
  if (day === 0) day = endOfMonth ? daysInMonth(year, month) : 1;
  return `${year}-${value.slice(2, 4)}-${day < 10 ? '0' : ''}${day}`;
}
