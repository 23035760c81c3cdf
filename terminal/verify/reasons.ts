import type { ParseErrorCode } from '../codes/types.js';

/**
 * Every machine reason a verdict can carry (Verdict.reason, the query log's `reason`): what
 * decideVerdict (policy.ts) says, and for `malformed` the code reader's error code. The manager
 * page translates each one (kiosk-ui/src/manager/messages.ts verdictReasonMessages; a unit test
 * checks both lists agree).
 */
export const POLICY_REASONS = [
  'written_off_here',
  'product_withdrawn',
  'status_recalled',
  'status_withdrawn',
  'status_stolen',
  'status_destroyed',
  'destroyed_here',
  'status_locked',
  'batch_recalled',
  'sold_upstream',
  'past_expiry',
  'batch_mismatch',
  'expiry_mismatch',
  'no_registry',
  'registry_expired',
  'registry_stale',
  'no_serial',
  'product_not_in_registry',
  'product_not_covered',
  'not_in_registry',
  'received_here',
  'active',
] as const;

export type PolicyReason = (typeof POLICY_REASONS)[number];

/** The code reader's error codes (codes/types.ts ParseErrorCode), the reason of a `malformed` verdict. */
export const PARSE_ERROR_CODES = [
  'empty',
  'too_long',
  'bad_check_digit',
  'unknown_ai',
  'bad_length',
  'bad_date',
  'bad_character',
  'bad_syntax',
  'unrecognised',
] as const satisfies readonly ParseErrorCode[];

// tsc fails here when ParseErrorCode gains a code the list above lacks.
const parseCodesComplete: [Exclude<ParseErrorCode, (typeof PARSE_ERROR_CODES)[number]>] extends [never]
  ? true
  : false = true;
void parseCodesComplete;

export type VerdictReason = PolicyReason | ParseErrorCode;

export const VERDICT_REASONS: readonly VerdictReason[] = [...POLICY_REASONS, ...PARSE_ERROR_CODES];
