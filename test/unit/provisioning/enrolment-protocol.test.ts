import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  enrolProof,
  newEnrolmentCode,
  newEphemeralKey,
  normalizeEnrolmentCode,
  openGrant,
  proofMatches,
  rootFingerprint,
  sealGrant,
} from '../../../upstream/enrolment-protocol.js';

const fields = (eph: string) => ({
  nonce: 'a'.repeat(32),
  storeId: 'S1',
  terminalId: 'T1',
  role: 'kiosk' as const,
  terminalPublicKey: Buffer.alloc(32, 7).toString('base64'),
  ephemeralPublicKey: eph,
});

describe('enrolment protocol', () => {
  test('codes are XXXXX-XXXXX and survive how technicians type them', () => {
    const code = newEnrolmentCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(normalizeEnrolmentCode(code.toLowerCase())).toBe(code.replace('-', ''));
    expect(normalizeEnrolmentCode(' 7k0qf 9m2xa ')).toBe('7K0QF9M2XA');
    expect(normalizeEnrolmentCode('OIL00-12345')).toBe('01100' + '12345');
    expect(normalizeEnrolmentCode('12345')).toBeUndefined();
    expect(normalizeEnrolmentCode('12345-1234U')).toBeUndefined();
  });

  test('the proof binds the code to the whole request', () => {
    const eph = newEphemeralKey();
    const f = fields(eph.publicKeyB64);
    const request = { v: 1 as const, ...f, proof: enrolProof('ABCDE12345', f) };
    expect(proofMatches('ABCDE12345', request)).toBe(true);
    expect(proofMatches('ABCDE12346', request)).toBe(false);
    expect(proofMatches('ABCDE12345', { ...request, terminalId: 'T2' })).toBe(false);
    expect(proofMatches('ABCDE12345', { ...request, role: 'checkout' })).toBe(false);
  });

  test('a grant opens only with the requester key and the same code', () => {
    const eph = newEphemeralKey();
    const f = fields(eph.publicKeyB64);
    const request = { v: 1 as const, ...f, proof: enrolProof('ABCDE12345', f) };
    const grant = {
      storeId: 'S1',
      terminalId: 'T1',
      broker: { username: 'vt-S1-T1', password: 'secret' },
      registry: { scope: 'x', root: { signed: {}, signatures: [] } },
      commandKeys: [],
    };
    const sealed = sealGrant(request, 'ABCDE12345', grant);
    if (sealed.status !== 'ok') throw new Error('expected ok');
    expect(JSON.stringify(sealed)).not.toContain('secret');
    expect(openGrant(sealed.data, eph.privateKey, 'ABCDE12345', f.nonce)).toEqual(grant);
    expect(openGrant(sealed.data, eph.privateKey, 'ABCDE12346', f.nonce)).toBeUndefined();
    expect(openGrant(sealed.data, newEphemeralKey().privateKey, 'ABCDE12345', f.nonce)).toBeUndefined();
    expect(openGrant(sealed.data, eph.privateKey, 'ABCDE12345', 'b'.repeat(32))).toBeUndefined();
    const tampered = { ...sealed.data, ciphertext: Buffer.from('x').toString('base64') };
    expect(openGrant(tampered, eph.privateKey, 'ABCDE12345', f.nonce)).toBeUndefined();
  });

  test('the root fingerprint is SHA-256 of the canonical root, key order does not matter', () => {
    const a = rootFingerprint({ signed: { b: 1, a: 2 }, signatures: [] });
    const b = rootFingerprint({ signatures: [], signed: { a: 2, b: 1 } });
    expect(a).toBe(b);
    expect(a).toMatch(/^([0-9A-F]{4} ){9}[0-9A-F]{4}$/);
    const hex = createHash('sha256').update('{"signatures":[],"signed":{"a":2,"b":1}}').digest('hex');
    expect(a.replace(/ /g, '')).toBe(hex.slice(0, 40).toUpperCase());
    expect(rootFingerprint({ signed: { a: 3, b: 1 }, signatures: [] })).not.toBe(a);
  });
});
