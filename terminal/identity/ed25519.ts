import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

/** The part of sodium-native's API the signer uses. */
export interface SodiumSign {
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
  crypto_sign_detached(signature: Buffer, message: Uint8Array, secretKey: Buffer): void;
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buffer: Uint8Array): void;
}

const require = createRequire(import.meta.url);

let loaded: { path: string; sodium: SodiumSign } | null | undefined;

/**
 * sodium-native and its path (for worker threads to load it too), loaded on first use: loading
 * it takes ~35 ms, which commands that never sign (`veriterm ledger verify`, provisioning checks)
 * should not pay at start-up. Null when it cannot load (no prebuild for this platform): signing
 * then uses node:crypto.
 */
function sodiumNative(): { path: string; sodium: SodiumSign } | null {
  if (loaded === undefined) {
    try {
      const path = require.resolve('sodium-native');
      loaded = { path, sodium: require(path) as SodiumSign };
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Which library makes the terminal's signatures. */
export function ed25519Backend(): 'libsodium' | 'node:crypto' {
  return sodiumNative() ? 'libsodium' : 'node:crypto';
}

/** The 32-byte RFC 8032 seed of an Ed25519 private key (what libsodium derives its key from). */
export function ed25519Seed(privateKey: KeyObject): Buffer {
  const { d } = privateKey.export({ format: 'jwk' });
  return Buffer.from(d!, 'base64url');
}

/**
 * An Ed25519 signer for `privateKey`. libsodium's signing takes ~16 µs here against ~37 µs for
 * node:crypto's (OpenSSL behind EVP, with a context set up per call), and a 10-line sale signs
 * 11 records. Ed25519 is deterministic (RFC 8032), so both give the same bytes; node:crypto is
 * the fallback when sodium-native has no build for the platform (`library` null forces it, for
 * tests).
 */
export function ed25519Signer(
  privateKey: KeyObject,
  library: SodiumSign | null = sodiumNative()?.sodium ?? null,
): (message: Uint8Array) => Buffer {
  if (!library) return (message) => cryptoSign(null, message, privateKey);
  const seed = ed25519Seed(privateKey);
  // Guarded memory (mlock'd, kept out of core dumps) for the expanded key.
  const secretKey = library.sodium_malloc(64);
  library.crypto_sign_seed_keypair(Buffer.alloc(32), secretKey, seed);
  library.sodium_memzero(seed);
  return (message) => {
    const signature = Buffer.allocUnsafe(64);
    library.crypto_sign_detached(signature, message, secretKey);
    return signature;
  };
}

/**
 * What a worker thread needs to sign with a key (cloned into it with `workerData`): the seed and
 * sodium-native's path, or the KeyObject when signing falls back to node:crypto. The caller zeroes
 * `seed` once the worker is made (workerData is copied then).
 */
export type WorkerSigningKey = { sodium: string; seed: Uint8Array } | { key: KeyObject };

export function workerSigningKey(privateKey: KeyObject): WorkerSigningKey {
  const native = sodiumNative();
  return native ? { sodium: native.path, seed: ed25519Seed(privateKey) } : { key: privateKey };
}

/**
 * Source of `makeSigner(spec)` for workers evaluated from strings: `spec` a WorkerSigningKey,
 * returns `(message) => Buffer` (the 64-byte signature), as `ed25519Signer` does on this thread.
 */
export const WORKER_SIGNER_SOURCE = `
function makeSigner(spec) {
  if (spec.sodium) {
    const sodium = require(spec.sodium);
    const secretKey = sodium.sodium_malloc(64);
    const seed = Buffer.from(spec.seed.buffer, spec.seed.byteOffset, 32);
    sodium.crypto_sign_seed_keypair(Buffer.alloc(32), secretKey, seed);
    sodium.sodium_memzero(seed);
    return (message) => {
      const signature = Buffer.allocUnsafe(64);
      sodium.crypto_sign_detached(signature, message, secretKey);
      return signature;
    };
  }
  const { sign } = require('node:crypto');
  return (message) => sign(null, message, spec.key);
}
`;
