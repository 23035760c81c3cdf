import type { StocktakeReportView, UnitKeysByProduct } from '../../../terminal/http/wire-types.js';

/** One difference of a stocktake: a unit and why it differs. */
export interface DifferenceLine {
  key: string;
  kind: 'missing' | 'extra' | 'bad';
  /** `missing`, the extra group (`notReceived`, `sold`, `leftStock`) or the bad reason. */
  why: string;
}

export interface StocktakeCounts {
  scanned: number;
  expected: number;
  missing: number;
  extra: number;
  bad: number;
}

const count = (byProduct: UnitKeysByProduct) => Object.values(byProduct).reduce((n, r) => n + r.length, 0);

/** The five big numbers: scanned is what the shelf gave (found on hand + extra). */
export function countsOf(r: StocktakeReportView): StocktakeCounts {
  const extra = count(r.extra.notReceived) + count(r.extra.sold) + count(r.extra.leftStock);
  return {
    scanned: r.found + extra,
    expected: r.expected,
    missing: count(r.missing),
    extra,
    bad: r.bad.length,
  };
}

/**
 * One line per difference, at most `limit`: what the clerk acts on first (bad units to take off
 * the shelf, then extra ones), then the missing units.
 */
export function linesOf(r: StocktakeReportView, limit: number): { lines: DifferenceLine[]; total: number } {
  const lines: DifferenceLine[] = [];
  let total = 0;
  const push = (line: DifferenceLine) => {
    total++;
    if (lines.length < limit) lines.push(line);
  };
  for (const b of r.bad) push({ key: b.key, kind: 'bad', why: b.reason });
  for (const group of ['notReceived', 'sold', 'leftStock'] as const)
    for (const [product, rests] of Object.entries(r.extra[group]))
      for (const rest of rests) push({ key: product + rest, kind: 'extra', why: group });
  for (const [product, rests] of Object.entries(r.missing))
    for (const rest of rests) push({ key: product + rest, kind: 'missing', why: 'missing' });
  return { lines, total };
}
