import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { VeritermError } from '../errors.js';
import { ed25519Signer, type WorkerSigningKey, workerSigningKey } from './ed25519.js';

/**
 * The terminal's own Ed25519 identity. The private key never leaves this object, except as
 * `workerSigningKey()` for a worker thread of this process to sign with (the ledger's writer): it
 * is not enumerable, `toJSON`/`inspect` show only the public half, and no error message contains it.
 */
export interface TerminalIdentity {
  /** First 16 hex chars of SHA-256 over the raw 32-byte public key. */
  readonly keyId: string;
  /** SPKI PEM of the public key (what upstream enrols). */
  readonly publicKeyPem: string;
  /** Raw 32-byte public key, base64. */
  readonly publicKeyRaw: string;
  readonly publicKey: KeyObject;
  /** Signs bytes with the private key (Ed25519, RFC 8032: no pre-hash). */
  sign(bytes: Uint8Array): Buffer;
  /** The key in the form a worker thread signs with (see WorkerSigningKey; zero its seed after). */
  workerSigningKey(): WorkerSigningKey;
}

/** Where the key file lives relative to a data directory. */
export const TERMINAL_KEY_FILE = 'identity/terminal-ed25519.pem';

/** Wraps a private key so it cannot be printed or serialised by accident. */
export function identityFromPrivateKey(privateKey: KeyObject): TerminalIdentity {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new VeritermError(
      'identity_key_type',
      `Expected an Ed25519 private key, got ${privateKey.asymmetricKeyType}`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  // SPKI DER for Ed25519 is a fixed 12-byte header followed by the 32-byte key (RFC 8410).
  const raw = der.subarray(der.length - 32);
  const keyId = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const identity = {
    keyId,
    publicKeyPem,
    publicKeyRaw: raw.toString('base64'),
    publicKey,
    toJSON: () => ({ keyId, publicKeyPem }),
    [Symbol.for('nodejs.util.inspect.custom')]: () => `TerminalIdentity { keyId: '${keyId}' }`,
  } as unknown as TerminalIdentity;
  // Non-enumerable so spreading/logging the identity never carries the signer.
  // Made on the first signature: loading libsodium is start-up work most commands never need.
  let signer: ((bytes: Uint8Array) => Buffer) | undefined;
  const sign = (bytes: Uint8Array): Buffer => {
    signer ??= ed25519Signer(privateKey);
    return signer(bytes);
  };
  Object.defineProperty(identity, 'sign', { value: sign, enumerable: false });
  Object.defineProperty(identity, 'workerSigningKey', {
    value: () => workerSigningKey(privateKey),
    enumerable: false,
  });
  return identity;
}

/**
 * Loads the terminal key from `file`, creating it (mode 0600, written atomically and fsynced)
 * when it does not exist. Refuses a key file that group or others can read.
 */
export function loadOrCreateTerminalKey(file: string): TerminalIdentity {
  let stat: { mode: number } | undefined;
  try {
    stat = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new VeritermError('identity_key_unreadable', `Cannot read terminal key ${file}`, {
        cause: error,
      });
    }
  }
  if (stat === undefined) return createTerminalKey(file);
  if ((stat.mode & 0o077) !== 0) {
    throw new VeritermError(
      'identity_key_permissions',
      `Terminal key ${file} has mode ${(stat.mode & 0o777).toString(8)}; expected 600 (chmod 600 ${file})`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    // The parse error is not included in the message: it could echo key material.
    throw new VeritermError('identity_key_invalid', `Terminal key ${file} is not a PEM Ed25519 private key`, {
      cause: (error as Error).name,
    });
  }
  return identityFromPrivateKey(key);
}

/**
 * Creates a new key file. If another process created one first, that key wins and is loaded:
 * the file is published with link(2), which never replaces an existing file.
 */
export function createTerminalKey(file: string): TerminalIdentity {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, pem as string);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    unlinkSync(temp);
    return loadOrCreateTerminalKey(file);
  }
  unlinkSync(temp);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return identityFromPrivateKey(privateKey);
}

/** A public KeyObject from an SPKI PEM, a raw 32-byte base64 key or a KeyObject. */
export function publicKeyFrom(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  if (key.includes('BEGIN PUBLIC KEY')) return createPublicKey(key);
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32)
    throw new VeritermError('identity_public_key', 'Expected a 32-byte base64 Ed25519 key');
  const header = Buffer.from('302a300506032b6570032100', 'hex');
  return createPublicKey({ key: Buffer.concat([header, raw]), format: 'der', type: 'spki' });
}
