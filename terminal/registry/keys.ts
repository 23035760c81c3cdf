import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { VeritermError } from '../errors.js';

/** An Ed25519 key as it appears in root metadata: raw 32-byte public key, base64url. */
export interface PublicKeyInfo {
  keytype: 'ed25519';
  public: string;
}

/** A signing key in memory. `privateKey` never leaves the process except into a 0600 file. */
export interface SigningKey {
  keyid: string;
  publicKey: PublicKeyInfo;
  privateKey: KeyObject;
}

/** Key id = lowercase hex SHA-256 of the raw 32-byte public key (like TUF's keyid, but over raw bytes). */
export function keyIdOf(publicKey: PublicKeyInfo): string {
  return createHash('sha256').update(Buffer.from(publicKey.public, 'base64url')).digest('hex');
}

function publicInfo(key: KeyObject): PublicKeyInfo {
  const jwk = key.export({ format: 'jwk' }) as { x?: string };
  if (!jwk.x) throw new VeritermError('bad_key', 'not an Ed25519 key');
  return { keytype: 'ed25519', public: jwk.x };
}

/** A fresh Ed25519 signing key. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const info = publicInfo(publicKey);
  return { keyid: keyIdOf(info), publicKey: info, privateKey };
}

function writeFileAtomic(file: string, text: string, mode: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, mode);
  renameSync(temp, file);
}

/**
 * Writes the private key as PKCS#8 PEM with mode 0600 (created with that mode, never wider),
 * and, when `publicFile` is given, the public half as JSON (`{ keyid, keytype, public }`, 0644).
 */
export function writeSigningKey(key: SigningKey, privateFile: string, publicFile?: string): void {
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  writeFileAtomic(privateFile, pem, 0o600);
  if (publicFile) writeFileAtomic(publicFile, `${JSON.stringify(publicKeyFile(key), null, 2)}\n`, 0o644);
}

export function publicKeyFile(key: Pick<SigningKey, 'keyid' | 'publicKey'>) {
  return { keyid: key.keyid, ...key.publicKey };
}

/** Reads a private key file written by `writeSigningKey` (or any Ed25519 PKCS#8 PEM). */
export function readSigningKey(file: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file));
  } catch (error) {
    // The message names the file only: never echo key material.
    throw new VeritermError('bad_key', `${file} is not a readable PEM private key`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new VeritermError(
      'bad_key',
      `${file} holds a ${privateKey.asymmetricKeyType} key, expected ed25519`,
    );
  }
  const info = publicInfo(createPublicKey(privateKey));
  return { keyid: keyIdOf(info), publicKey: info, privateKey };
}

/** Reads a public key: a `.pub.json` file from keygen, or a private key file (its public half). */
export function readPublicKey(file: string): PublicKeyInfo & { keyid: string } {
  const text = readFileSync(file, 'utf8');
  if (text.includes('PRIVATE KEY')) {
    const key = readSigningKey(file);
    return { keyid: key.keyid, ...key.publicKey };
  }
  let parsed: { public?: unknown };
  try {
    parsed = JSON.parse(text) as { public?: unknown };
  } catch (error) {
    throw new VeritermError('bad_key', `${file} is neither a public key JSON nor a PEM private key`, {
      cause: error,
    });
  }
  if (typeof parsed.public !== 'string' || Buffer.from(parsed.public, 'base64url').length !== 32) {
    throw new VeritermError('bad_key', `${file}: expected "public" to be a base64url Ed25519 key (32 bytes)`);
  }
  const info: PublicKeyInfo = { keytype: 'ed25519', public: parsed.public };
  return { keyid: keyIdOf(info), ...info };
}

export function signBytes(key: SigningKey, bytes: Buffer): string {
  return sign(null, bytes, key.privateKey).toString('base64url');
}

const publicKeyCache = new Map<string, KeyObject>();

/** Verifies an Ed25519 signature; false (never a throw) on any malformed input. */
export function verifyBytes(publicKey: PublicKeyInfo, bytes: Buffer, signature: string): boolean {
  try {
    let key = publicKeyCache.get(publicKey.public);
    if (!key) {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.public }, format: 'jwk' });
      publicKeyCache.set(publicKey.public, key);
    }
    const sig = Buffer.from(signature, 'base64url');
    if (sig.length !== 64) return false;
    return verify(null, bytes, key, sig);
  } catch {
    return false;
  }
}
