import { VeritermError } from '../errors.js';

/** Why a release (or root) was refused. Every refusal leaves the previous registry intact. */
export type RegistryRefusalCode =
  | 'bad_signature'
  | 'threshold_not_met'
  | 'unknown_key'
  | 'root_not_trusted'
  | 'rollback'
  | 'version_conflict'
  | 'expired'
  | 'wrong_base'
  | 'truncated'
  | 'oversized'
  | 'hash_mismatch'
  | 'wrong_scope'
  | 'malformed';

/** A refusal raised inside the import pipeline; `importRelease` turns it into `{ ok: false }`. */
export class RegistryError extends VeritermError {
  declare readonly code: RegistryRefusalCode;

  constructor(code: RegistryRefusalCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RegistryError';
  }
}

export interface RegistryRefusal {
  ok: false;
  code: RegistryRefusalCode;
  message: string;
}

export function isRegistryError(error: unknown): error is RegistryError {
  return error instanceof RegistryError;
}
