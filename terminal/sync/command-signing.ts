import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { VeritermError } from '../errors.js';
import { canonicalJson, type SignedCommand } from './protocol.js';

/** RFC 8410 SPKI DER prefix of an Ed25519 public key; the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Accepts an SPKI PEM or a raw 32-byte key in base64; throws a coded error otherwise. */
export function parseEd25519PublicKey(text: string): KeyObject {
  try {
    const key = text.includes('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({
          key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(text.trim(), 'base64')]),
          format: 'der',
          type: 'spki',
        });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type ${key.asymmetricKeyType}`);
    return key;
  } catch (error) {
    throw new VeritermError(
      'bad_public_key',
      'Expected an Ed25519 public key as SPKI PEM or 32 raw bytes in base64',
      { cause: error },
    );
  }
}

export type UnsignedCommand = Omit<SignedCommand, 'sig'>;

/**
 * Upstream side: signs canonicalJson(command) with the upstream command key (Ed25519, RFC 8032).
 * Any downlink document signed this way (commands, delivery notes: terminal/receiving) takes the
 * same path, so there is one signing scheme and one set of pinned keys.
 */
export function signCommand<C extends object = UnsignedCommand>(
  command: C,
  privateKey: KeyObject,
): C & { sig: string } {
  const sig = sign(null, Buffer.from(canonicalJson(command)), privateKey).toString('base64');
  return { ...command, sig };
}

/** Terminal side: true when any trusted key verifies the signature over the rest of the document. */
export function verifyCommandSignature(command: { sig: string }, keys: readonly KeyObject[]): boolean {
  const { sig, ...rest } = command;
  const bytes = Buffer.from(canonicalJson(rest));
  const signature = Buffer.from(sig, 'base64');
  if (signature.length !== 64) return false;
  return keys.some((key) => verify(null, bytes, key, signature));
}
