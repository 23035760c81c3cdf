export {
  decideVerdict,
  type PolicyConfig,
  type PolicyInput,
  type PolicyMoment,
  policyMoment,
  registryStaleness,
} from './policy.js';
export { type CheckEntry, type CheckRow, QueryLog } from './query-log.js';
export type * from './types.js';
export { MISMATCH_REASONS, mismatchReason, unitMismatch } from './unit-mismatch.js';
export {
  type VerifiedCheck,
  Verifier,
  type VerifierConfig,
  type VerifierDeps,
  type VerifyOptions,
} from './verifier.js';
