import Database from 'better-sqlite3';
import { beforeEach, describe, expect, test } from 'vitest';
import { silentLogger } from '../../../terminal/logger.js';
import type { CredentialIssuer } from '../../../upstream/enrolment-credentials.js';
import {
  type EnrolResponse,
  enrolProof,
  newEphemeralKey,
  normalizeEnrolmentCode,
  openGrant,
} from '../../../upstream/enrolment-protocol.js';
import { answerEnrolment, type EnrolmentServiceDeps } from '../../../upstream/enrolment-service.js';
import { EnrolmentStore, MAX_CODE_FAILURES } from '../../../upstream/enrolment-store.js';

const CODE = 'K7QF2-9M2XA';
const ROOT = { signed: { version: 1 }, signatures: [] };

function request(code: string, terminalId = 'T1') {
  const eph = newEphemeralKey();
  const f = {
    nonce: 'c'.repeat(32),
    storeId: 'S1',
    terminalId,
    role: 'kiosk' as const,
    terminalPublicKey: Buffer.alloc(32, 1).toString('base64'),
    ephemeralPublicKey: eph.publicKeyB64,
  };
  return {
    body: { v: 1, ...f, proof: enrolProof(normalizeEnrolmentCode(code) ?? code, f) },
    eph,
    nonce: f.nonce,
  };
}

const errorCode = (r: EnrolResponse) => (r.status === 'error' ? r.error.code : 'ok');

describe('answerEnrolment', () => {
  let store: EnrolmentStore;
  let deps: EnrolmentServiceDeps;
  let issued: number;
  const issuer: CredentialIssuer = {
    issue: async ({ storeId, terminalId }) => {
      issued++;
      return { username: `vt-${storeId}-${terminalId}`, password: 'pw' };
    },
  };

  beforeEach(() => {
    store = new EnrolmentStore(new Database(':memory:'));
    issued = 0;
    deps = { store, issuer, rootFor: () => ROOT, logger: silentLogger(), commandKeys: ['k1'] };
    store.issue({ code: CODE, storeId: 'S1', terminalId: 'T1', scope: 'cn', ttlMs: 60_000 });
  });

  test('the right code gets sealed credentials and the root, once', async () => {
    const r = request(CODE);
    const answer = await answerEnrolment(deps, r.body);
    if (answer.status !== 'ok') throw new Error(JSON.stringify(answer));
    const grant = openGrant(answer.data, r.eph.privateKey, normalizeEnrolmentCode(CODE)!, r.nonce);
    expect(grant).toMatchObject({
      broker: { username: 'vt-S1-T1', password: 'pw' },
      registry: { scope: 'cn', root: ROOT },
      commandKeys: ['k1'],
    });
    expect(store.terminal('S1', 'T1')?.publicKey).toBe(Buffer.alloc(32, 1).toString('base64'));
    expect(errorCode(await answerEnrolment(deps, request(CODE).body))).toBe('bad_code');
    expect(issued).toBe(1);
  });

  test('wrong codes count down and then lock the code', async () => {
    for (let i = 1; i < MAX_CODE_FAILURES; i++) {
      const a = await answerEnrolment(deps, request('AAAAA-AAAAA').body);
      expect(a.status === 'error' && a.error.message).toContain(`${MAX_CODE_FAILURES - i} attempt(s) left`);
    }
    expect(errorCode(await answerEnrolment(deps, request('AAAAA-AAAAA').body))).toBe('bad_code');
    expect(errorCode(await answerEnrolment(deps, request(CODE).body))).toBe('code_locked');
    expect(issued).toBe(0);
  });

  test('expired, never issued and malformed requests are refused', async () => {
    const later = { ...deps, now: () => new Date(Date.now() + 120_000) };
    expect(errorCode(await answerEnrolment(later, request(CODE).body))).toBe('code_expired');
    expect(errorCode(await answerEnrolment(deps, request(CODE, 'T9').body))).toBe('bad_code');
    expect(errorCode(await answerEnrolment(deps, { v: 1, storeId: 'S1' }))).toBe('bad_request');
    expect(errorCode(await answerEnrolment(deps, 'garbage'))).toBe('bad_request');
  });

  test('an issuer failure is reported without details', async () => {
    const failing = {
      ...deps,
      issuer: { issue: async () => Promise.reject(new Error('disk full at /secret/path')) },
    };
    const a = await answerEnrolment(failing, request(CODE).body);
    expect(errorCode(a)).toBe('issue_failed');
    expect(JSON.stringify(a)).not.toContain('/secret/path');
  });

  test('issuing again replaces the open code', () => {
    store.issue({ code: 'ZZZZZ-ZZZZZ', storeId: 'S1', terminalId: 'T1', scope: 'cn', ttlMs: 60_000 });
    expect(store.latest('S1', 'T1')?.code).toBe('ZZZZZ-ZZZZZ');
  });
});
