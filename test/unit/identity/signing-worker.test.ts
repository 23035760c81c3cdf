import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { identityFromPrivateKey } from '../../../terminal/identity/index.js';
import { SigningWorker } from '../../../terminal/identity/signing-worker.js';

const digest = (i: number) => createHash('sha256').update(`record ${i}`).digest();

describe('signing on a worker thread', () => {
  it('gives, in order, the signatures the identity makes on its own thread', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const identity = identityFromPrivateKey(privateKey);
    const messages = Array.from({ length: 40 }, (_, i) => digest(i));
    const [first, second] = await Promise.all([
      identity.signAll(messages.slice(0, 25)),
      identity.signAll(messages.slice(25)),
    ]);
    const signatures = [...first!, ...second!];
    expect(signatures).toHaveLength(40);
    // Ed25519 is deterministic: same key and message, same signature.
    for (const [i, message] of messages.entries()) {
      expect(signatures[i]!.equals(identity.sign(message))).toBe(true);
      expect(verify(null, message, publicKey, signatures[i]!)).toBe(true);
    }
    expect(await identity.signAll([])).toEqual([]);
  });

  it('keeps the private key out of enumeration and JSON', () => {
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    expect(Object.keys(identity)).not.toContain('signAll');
    expect(JSON.stringify(identity)).not.toMatch(/PRIVATE/);
  });

  it('refuses messages of different sizes, naming the sizes', async () => {
    const worker = new SigningWorker(generateKeyPairSync('ed25519').privateKey);
    await expect(worker.signAll([digest(1), Buffer.alloc(5)])).rejects.toThrow(
      'Expected 32-byte messages, got 5 bytes',
    );
    await worker.close();
  });

  it('rejects pending and later requests once the worker has stopped', async () => {
    const worker = new SigningWorker(generateKeyPairSync('ed25519').privateKey);
    expect(await worker.signAll([digest(1)])).toHaveLength(1);
    await worker.close();
    await expect(worker.signAll([digest(2)])).rejects.toMatchObject({ code: 'signing_failed' });
  });
});
