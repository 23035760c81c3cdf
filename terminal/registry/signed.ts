import { canonicalBytes } from './canonical-json.js';
import { RegistryError } from './errors.js';
import { type PublicKeyInfo, type SigningKey, signBytes, verifyBytes } from './keys.js';

export interface Signature {
  keyid: string;
  /** Ed25519 signature over the canonical JSON of `signed`, base64url. */
  sig: string;
}

/** The envelope every signed document uses (TUF style). */
export interface Signed<T> {
  signed: T;
  signatures: Signature[];
}

export function signEnvelope<T>(signed: T, keys: readonly SigningKey[]): Signed<T> {
  const bytes = canonicalBytes(signed);
  const seen = new Set<string>();
  const signatures: Signature[] = [];
  for (const key of keys) {
    if (seen.has(key.keyid)) continue;
    seen.add(key.keyid);
    signatures.push({ keyid: key.keyid, sig: signBytes(key, bytes) });
  }
  return { signed, signatures };
}

export interface ThresholdCheck {
  valid: number;
  unknown: number;
  invalid: number;
}

/**
 * Counts valid signatures by distinct keyids that `role` trusts. A signature by a trusted key that
 * does not verify means the document was altered: `bad_signature` at once (TUF 5.3.x counts it
 * as missing instead; refusing is stricter and tells the operator what happened).
 */
export function checkSignatures(
  envelope: Signed<unknown>,
  keys: Readonly<Record<string, PublicKeyInfo>>,
  role: { keyids: readonly string[]; threshold: number },
  what: string,
): ThresholdCheck {
  let bytes: Buffer;
  try {
    bytes = canonicalBytes(envelope.signed);
  } catch (error) {
    throw new RegistryError('malformed', `${what}: ${(error as Error).message}`, { cause: error });
  }
  const trusted = new Set(role.keyids);
  const counted = new Set<string>();
  const result: ThresholdCheck = { valid: 0, unknown: 0, invalid: 0 };
  for (const signature of envelope.signatures) {
    const key = keys[signature.keyid];
    if (!key || !trusted.has(signature.keyid)) {
      result.unknown++;
      continue;
    }
    if (counted.has(signature.keyid)) continue;
    if (!verifyBytes(key, bytes, signature.sig)) {
      throw new RegistryError(
        'bad_signature',
        `${what}: signature by key ${signature.keyid.slice(0, 16)} does not verify`,
      );
    }
    counted.add(signature.keyid);
    result.valid++;
  }
  return result;
}

/** Throws `threshold_not_met` / `unknown_key` unless `role.threshold` distinct trusted keys signed. */
export function requireThreshold(
  envelope: Signed<unknown>,
  keys: Readonly<Record<string, PublicKeyInfo>>,
  role: { keyids: readonly string[]; threshold: number },
  what: string,
): void {
  const check = checkSignatures(envelope, keys, role, what);
  if (check.valid >= role.threshold) return;
  if (check.valid === 0 && check.unknown > 0) {
    throw new RegistryError(
      'unknown_key',
      `${what}: signed only by ${check.unknown} key(s) the trusted root does not list for this role`,
    );
  }
  throw new RegistryError(
    'threshold_not_met',
    `${what}: ${check.valid} valid signature(s) from trusted keys, threshold is ${role.threshold}`,
  );
}
