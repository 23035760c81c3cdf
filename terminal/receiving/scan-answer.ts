import type { ReceiptExceptionReason } from '../ledger/types.js';

/**
 * What is wrong with a scan, beside the registry's reasons: `already_checked_in` (harmless, the
 * answer stays ok), `container_opened` (its units count one by one), `put_aside_earlier`,
 * `unreadable` (the code reader's refusal), `delivery_closed`.
 */
export type ScanProblemCode =
  | ReceiptExceptionReason
  | 'already_checked_in'
  | 'container_opened'
  | 'put_aside_earlier'
  | 'unreadable'
  | 'delivery_closed'
  | 'not_a_container';

export interface ScanProblem {
  code: ScanProblemCode;
  /** The unit or container it is about. */
  key: string;
  message: string;
}

/** The answer to one scan (or open / put-aside), given once its change is durable. */
export interface ScanAnswer {
  /** False when anything needs the clerk's attention (a duplicate scan alone is ok). */
  ok: boolean;
  action: 'checked_in' | 'opened' | 'put_aside' | 'none';
  /** What the scan named: a pallet or case of this note, a unit, or something not on it. */
  target: 'pallet' | 'case' | 'unit' | 'unknown';
  key: string;
  /** Units this scan checked in (all of a pallet's, for one SSCC scan). */
  checkedIn: number;
  problems: ScanProblem[];
}

export const HARMLESS: ReadonlySet<ScanProblemCode> = new Set(['already_checked_in']);

export function answer(
  fields: Omit<ScanAnswer, 'ok' | 'problems'> & { problems?: ScanProblem[] },
): ScanAnswer {
  const problems = fields.problems ?? [];
  return { ...fields, ok: problems.every((p) => HARMLESS.has(p.code)), problems };
}
