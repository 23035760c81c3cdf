import { type KeyObject, sign } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let loaded: { path: string } | null | undefined;

/**
 * sodium-native's path (for the signer to load, on this thread or a worker), once it has loaded
 * here: loading it takes ~35 ms, which commands that never sign (`veriterm ledger verify`,
 * provisioning checks) should not pay at start-up. Null when it cannot load (no prebuild for this
 * platform): signing then uses node:crypto.
 */
function sodiumNative(): { path: string } | null {
  if (loaded === undefined) {
    try {
      const path = require.resolve('sodium-native');
      require(path);
      loaded = { path };
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
 * What a signer is made from, on this thread or a worker (cloned into it with `workerData`): the
 * seed and sodium-native's path, or the KeyObject when signing falls back to node:crypto. Making
 * the signer zeroes that copy of the seed; a caller that hands it to a worker zeroes its own once
 * the worker is made (workerData is copied then).
 */
export type WorkerSigningKey = { sodium: string; seed: Uint8Array } | { key: KeyObject };

export function workerSigningKey(privateKey: KeyObject): WorkerSigningKey {
  const native = sodiumNative();
  return native ? { sodium: native.path, seed: ed25519Seed(privateKey) } : { key: privateKey };
}

/**
 * The signer a WorkerSigningKey makes, `(message) => signature` (64 bytes): this one function runs
 * on this thread (`ed25519Signer`) and on the ledger writer's worker thread (writer.worker.ts),
 * which imports this module. With a seed, libsodium expands it into guarded memory and zeroes the
 * seed; otherwise node:crypto signs with the KeyObject.
 */
export function makeSigner(spec: WorkerSigningKey): (message: Uint8Array) => Buffer {
  if ('sodium' in spec) {
    const sodium = require(spec.sodium) as SodiumNative;
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
  const { key } = spec;
  return (message) => sign(null, message, key);
}

/** The few sodium-native calls used here (it ships no types). */
interface SodiumNative {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buffer: Uint8Array): void;
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Uint8Array): void;
  crypto_sign_detached(signature: Buffer, message: Uint8Array, secretKey: Buffer): void;
}

/**
 * An Ed25519 signer for `privateKey`. libsodium's signing takes ~16 µs here against ~37 µs for
 * node:crypto's (OpenSSL behind EVP, with a context set up per call), and a 10-line sale signs
 * 11 records. Ed25519 is deterministic (RFC 8032), so both give the same bytes; node:crypto is
 * the fallback when sodium-native has no build for the platform (`{ key: privateKey }` as `spec`
 * forces it, for tests). libsodium keeps the expanded key in guarded memory (sodium_malloc:
 * mlock'd, kept out of core dumps).
 */
export function ed25519Signer(
  privateKey: KeyObject,
  spec: WorkerSigningKey = workerSigningKey(privateKey),
): (message: Uint8Array) => Buffer {
  return makeSigner(spec);
}
