import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey, type TerminalIdentity } from '../../../terminal/identity/index.js';
import { silentLogger } from '../../../terminal/logger.js';
import { mosquittoAcl, withRevokedBlock } from '../../../upstream/broker-acl.js';
import type { IngestStore } from '../../../upstream/ingest-store.js';
import {
  answerRevocation,
  mosquittoRevocation,
  revokeInStore,
  revokeTerminal,
} from '../../../upstream/revocation.js';
import { type RevokeRequest, revocationMessage } from '../../../upstream/revocation-protocol.js';
import type { IngestStorage } from '../../../upstream/storage/contract.js';
import { SqliteUpstreamStorage } from '../../../upstream/storage/sqlite/sqlite-storage.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const T1 = { storeId: 's1', terminalId: 't1' };

function signed(identity: TerminalIdentity, at = NOW, target = T1): RevokeRequest {
  const fields = { ...target, nonce: randomBytes(16).toString('hex'), at: at.toISOString() };
  return { v: 1, ...fields, signature: identity.sign(revocationMessage(fields)).toString('base64') };
}

describe('answerRevocation', () => {
  const tmp = makeTempDir('vt-revocation-');
  let db: SqliteDatabase;
  let store: IngestStore;
  let storage: IngestStorage;
  let identity: TerminalIdentity;
  const answer = (raw: unknown, topic = T1) =>
    answerRevocation(
      { store: storage, revoke: (t) => revokeInStore(storage, t, silentLogger()), now: () => NOW },
      topic,
      raw,
    );
  beforeEach(() => {
    db = openDatabase(join(tmp.dir, `${randomBytes(4).toString('hex')}.db`));
    const engine = new SqliteUpstreamStorage(db);
    store = engine.store;
    storage = engine.ingest;
    identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    store.enrol('s1', 't1', identity.publicKeyPem);
  });
  afterEach(() => db.close());

  it('revokes on a request signed with the enrolled key; the same request again is a replay', async () => {
    const request = signed(identity);
    expect(await answer(request)).toMatchObject({ status: 'revoked', nonce: request.nonce });
    expect(store.enrolment('s1', 't1')?.revokedAt).toEqual(expect.any(String));
    expect(await answer(request)).toMatchObject({ status: 'refused', code: 'replayed' });
  });

  it('refuses another key, a stale time, a foreign topic, an unknown terminal and malformed input, revoking nothing', async () => {
    const other = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    expect(await answer(signed(other))).toMatchObject({ code: 'bad_signature' });
    expect(await answer(signed(identity, new Date(NOW.getTime() - 6 * 60_000)))).toMatchObject({
      code: 'stale_request',
      message: expect.stringContaining('check the terminal clock'),
    });
    expect(await answer(signed(identity), { storeId: 's1', terminalId: 't2' })).toMatchObject({
      code: 'bad_request',
    });
    const t9 = { storeId: 's1', terminalId: 't9' };
    expect(await answer(signed(identity, NOW, t9), t9)).toMatchObject({ code: 'not_enrolled' });
    expect(await answer({ v: 1, storeId: 's1' })).toMatchObject({ code: 'bad_request' });
    // A signature over other fields (the time changed after signing) does not verify either.
    expect(
      await answer({ ...signed(identity), at: new Date(NOW.getTime() + 1000).toISOString() }),
    ).toMatchObject({
      code: 'bad_signature',
    });
    expect(store.revokedTerminals()).toEqual([]);
  });

  it('records of a revoked terminal are refused with one revoked_terminal alert per batch; reinstating lifts it', async () => {
    await revokeInStore(storage, T1, silentLogger());
    const result = store.ingest('s1', 't1', []);
    expect(result.problem?.code).toBe('revoked_terminal');
    expect(store.alerts().map((a) => a.kind)).toEqual(['revoked_terminal']);
    store.reinstate('s1', 't1');
    expect(store.ingest('s1', 't1', []).problem).toBeUndefined();
  });
});

describe('revokeTerminal errors', () => {
  const tmp = makeTempDir('vt-revocation-errors-');
  it('names an unknown terminal, and says the broker was not told when mosquitto cannot be signalled', async () => {
    const db = openDatabase(join(tmp.dir, 'up.db'));
    try {
      const { store, ingest } = new SqliteUpstreamStorage(db);
      const logger = silentLogger();
      await expect(revokeTerminal({ store: ingest, logger }, T1)).rejects.toMatchObject({
        code: 'not_enrolled',
      });
      store.enrol('s1', 't1', identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey).publicKeyPem);
      const aclFile = join(tmp.dir, 'acl');
      writeFileSync(aclFile, mosquittoAcl());
      const broker = mosquittoRevocation({ aclFile, pidFile: join(tmp.dir, 'no-such.pid') });
      await expect(revokeTerminal({ store: ingest, broker, logger }, T1)).rejects.toMatchObject({
        code: 'broker_not_told',
        message: expect.stringMatching(/records are refused.*is mosquitto running\?/),
      });
      expect(store.enrolment('s1', 't1')?.revokedAt).toEqual(expect.any(String));
    } finally {
      db.close();
    }
  });
});

describe('the ACL revoked block', () => {
  it('replaces itself, stays last and keeps everything else', () => {
    const base = mosquittoAcl({ scopes: ['cn'] });
    const one = withRevokedBlock(base, [T1]);
    expect(one.startsWith(base.trimEnd())).toBe(true);
    expect(one.trimEnd().endsWith('user s1/t1\ntopic deny #\n# END veriterm revoked terminals')).toBe(true);
    const two = withRevokedBlock(one, [T1, { storeId: 's2', terminalId: 't5' }]);
    expect(two.match(/# BEGIN veriterm revoked/g)).toHaveLength(1);
    expect(two).toContain('user s2/t5\ntopic deny #');
    expect(withRevokedBlock(two, [])).not.toContain('user s1/t1');
  });
});
