import { createHash, sign as cryptoSign, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ed25519Backend, ed25519Seed, ed25519Signer } from '../../../terminal/identity/ed25519.js';
import { identityFromPrivateKey } from '../../../terminal/identity/index.js';

const messages = [
  Buffer.alloc(0),
  createHash('sha256').update('a record').digest(),
  Buffer.from('not a digest: any length, any bytes \u0000\u00ff'),
];

describe('Ed25519 signer', () => {
  it('uses libsodium where sodium-native has a build (linux-x64 and -arm64 have one)', () => {
    expect(ed25519Backend()).toBe('libsodium');
  });

  it('makes, with libsodium and with node:crypto, the signatures OpenSSL makes (RFC 8032 is deterministic)', () => {
    for (let k = 0; k < 5; k++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const sodium = ed25519Signer(privateKey);
      const fallback = ed25519Signer(privateKey, { key: privateKey });
      for (const message of messages) {
        const expected = cryptoSign(null, message, privateKey);
        expect(sodium(message).equals(expected)).toBe(true);
        expect(fallback(message).equals(expected)).toBe(true);
        expect(verify(null, message, publicKey, sodium(message))).toBe(true);
      }
    }
  });

  it("keeps the signer and the worker key out of the identity's enumeration and JSON", () => {
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    expect(Object.keys(identity)).not.toContain('sign');
    expect(Object.keys(identity)).not.toContain('workerSigningKey');
    expect(JSON.stringify(identity)).not.toMatch(/PRIVATE|seed/);
  });

  it('takes the RFC 8032 seed from the key (what the PKCS#8 file holds)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    // PKCS#8 for Ed25519 ends with the 32-byte seed (RFC 8410).
    expect(ed25519Seed(privateKey).equals(der.subarray(der.length - 32))).toBe(true);
  });
});
