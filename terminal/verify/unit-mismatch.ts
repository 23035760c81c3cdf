import type { ParsedCode } from '../codes/types.js';
import type { RegistryBatch, RegistryUnit } from '../registry/types.js';
import type { CodeMismatch } from './types.js';

/**
 * Compares what a unit code carries besides its key with the registered unit: AI 10 (batch/lot)
 * against the unit's batch number, AI 17 (expiry) against that batch's expiry date. Pure.
 *
 * A side that is absent (no AI 10/17 on the pack, no batch or expiry in the registry) is never a
 * mismatch: the registry cannot contradict what it does not hold, and most codes (20-digit
 * supervision codes, many DataMatrix prints) carry no attributes at all. Values are compared
 * exactly: AI 10 is case-sensitive (GS1 GenSpec §3.4.2), and both dates are ISO `YYYY-MM-DD`
 * with AI 17's day 00 already resolved to the month's last day by the code reader (§3.4.7), so a
 * pack printed `261200` agrees with a registry saying `2026-12-31`.
 *
 * @returns the disagreements, or undefined when there are none.
 */
export function unitMismatch(
  code: ParsedCode,
  unit: RegistryUnit,
  batch: RegistryBatch | undefined,
): CodeMismatch | undefined {
  const mismatch: CodeMismatch = {};
  if (code.batch !== undefined && unit.batchNumber !== undefined && code.batch !== unit.batchNumber) {
    mismatch.batch = { scanned: code.batch, registered: unit.batchNumber };
  }
  const registered = batch?.expiryDate;
  if (code.expiry !== undefined && registered !== undefined && code.expiry !== registered) {
    mismatch.expiry = { scanned: code.expiry, registered };
  }
  return mismatch.batch || mismatch.expiry ? mismatch : undefined;
}

/** The verdict reason a mismatch gives: the batch first (a wrong batch explains a wrong expiry). */
export function mismatchReason(mismatch: CodeMismatch): 'batch_mismatch' | 'expiry_mismatch' {
  return mismatch.batch ? 'batch_mismatch' : 'expiry_mismatch';
}

/** Reasons of an `unknown` verdict whose code disagrees with its registered unit. */
export const MISMATCH_REASONS: readonly string[] = ['batch_mismatch', 'expiry_mismatch'];
