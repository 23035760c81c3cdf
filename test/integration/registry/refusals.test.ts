import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRoot,
  generateSigningKey,
  importRelease,
  RegistryStore,
  type ReleaseManifest,
  rotateRoot,
} from '../../../terminal/registry/index.js';
import { signEnvelope } from '../../../terminal/registry/signed.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { type Authority, DAY, delta, future, makeAuthority, makeUnits, snapshot } from './fixtures.js';

describe('registry import refusals: coded, previous registry intact', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let a: Authority;
  let store: RegistryStore;
  let before: ReturnType<RegistryStore['state']>;
  const probe = makeUnits(6)[4]!.key;

  beforeEach(async () => {
    tmp = makeTempDir();
    a = makeAuthority();
    store = RegistryStore.open(join(tmp.dir, 'registry.db'));
    const v1 = await snapshot(tmp.dir, a, 1, makeUnits(6));
    expect((await importRelease(store, v1.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    before = store.state();
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  async function expectRefused(
    source: string,
    code: string,
    trust: Parameters<typeof importRelease>[2] = {},
  ) {
    const result = await importRelease(store, source, trust);
    expect(result).toMatchObject({ ok: false, code });
    expect(store.state()).toEqual(before);
    expect(store.lookup(probe).unit?.status).toBe('active');
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const units = store.db.prepare('SELECT COUNT(*) FROM registry_units').pluck().get();
    expect(units).toBe(6);
  }

  function rewrite(
    file: string,
    change: (m: ReleaseManifest) => void,
    resign?: Parameters<typeof signEnvelope>[1],
  ) {
    const m = JSON.parse(readFileSync(file, 'utf8')) as ReleaseManifest;
    change(m);
    const out = resign ? { ...signEnvelope(m.signed, resign), ...(m.roots ? { roots: m.roots } : {}) } : m;
    writeFileSync(file, JSON.stringify(out));
  }

  it('bad_signature: manifest altered after signing', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'));
    rewrite(v2.manifestFile, (m) => {
      m.signed.expires = future(3650);
    });
    await expectRefused(v2.manifestFile, 'bad_signature');
  });

  it('threshold_not_met: too few release signatures', async () => {
    const second = generateSigningKey();
    const next = rotateRoot(
      a.root,
      {
        rootKeys: [a.rootKey],
        releaseKeys: [a.releaseKey, second],
        releaseThreshold: 2,
        expires: future(365),
      },
      [a.rootKey],
    );
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'), { roots: [next] });
    await expectRefused(v2.manifestFile, 'threshold_not_met');
  });

  it('unknown_key: signed by a key the root does not list', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'), { keys: [generateSigningKey()] });
    await expectRefused(v2.manifestFile, 'unknown_key');
  });

  it('root_not_trusted: a root that does not chain to the pinned root', async () => {
    const mallory = makeAuthority();
    const forged = rotateRoot(
      mallory.root,
      { rootKeys: [mallory.rootKey], releaseKeys: [mallory.releaseKey], expires: future(365) },
      [mallory.rootKey],
    );
    const v2 = await snapshot(tmp.dir, mallory, 2, makeUnits(6, 'locked'), { roots: [forged] });
    await expectRefused(v2.manifestFile, 'root_not_trusted');
  });

  it('rollback: an older version', async () => {
    const v3 = await snapshot(tmp.dir, a, 3, makeUnits(6));
    expect((await importRelease(store, v3.manifestFile)).ok).toBe(true);
    before = store.state();
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'));
    await expectRefused(v2.manifestFile, 'rollback');
  });

  it('version_conflict: the installed version with different content', async () => {
    const other = await snapshot(tmp.dir, a, 1, makeUnits(6, 'locked'), { name: 'other-1' });
    await expectRefused(other.manifestFile, 'version_conflict');
  });

  it('expired: release metadata past its expiry (freeze attack)', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'), {
      expires: new Date(Date.now() - DAY).toISOString(),
    });
    await expectRefused(v2.manifestFile, 'expired');
    const fresh = await snapshot(tmp.dir, a, 3, makeUnits(6, 'locked'));
    await expectRefused(fresh.manifestFile, 'expired', { now: new Date(Date.now() + 400 * DAY) });
  });

  it('wrong_base: a delta onto another version', async () => {
    const otherDb = join(tmp.dir, 'publisher.db');
    const pub = RegistryStore.open(otherDb);
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6));
    expect((await importRelease(pub, v2.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    const d = await delta(
      tmp.dir,
      a,
      { base: pub, upsert: { units: [{ ...makeUnits(6)[4]!, status: 'locked' }] } },
      'd3',
    );
    pub.close();
    expect(d.manifest.signed.baseVersion).toBe(2);
    await expectRefused(d.manifestFile, 'wrong_base');
  });

  it('truncated: body shorter than signed', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'));
    truncateSync(v2.bodyFile, v2.manifest.signed.body.length - 5);
    await expectRefused(v2.manifestFile, 'truncated');
  });

  it('oversized: body longer than signed', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'));
    appendFileSync(v2.bodyFile, Buffer.alloc(64));
    await expectRefused(v2.manifestFile, 'oversized');
  });

  it('hash_mismatch: body bytes changed; and a content hash that does not match the applied result', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'));
    const body = readFileSync(v2.bodyFile);
    body[body.length - 3]! ^= 0xff;
    writeFileSync(v2.bodyFile, body);
    await expectRefused(v2.manifestFile, 'hash_mismatch');

    const d = await delta(
      tmp.dir,
      a,
      { base: store, upsert: { units: [{ ...makeUnits(6)[4]!, status: 'locked' }] } },
      'd2',
    );
    rewrite(
      d.manifestFile,
      (m) => {
        m.signed.content.hash = '0'.repeat(32);
      },
      [a.releaseKey],
    );
    await expectRefused(d.manifestFile, 'hash_mismatch');
  });

  it('wrong_scope: a release for another scope', async () => {
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'), { scope: 'elsewhere' });
    await expectRefused(v2.manifestFile, 'wrong_scope');
  });

  it('malformed: garbage, a non-manifest JSON, and a bad body record', async () => {
    const garbage = join(tmp.dir, 'garbage.manifest.json');
    writeFileSync(garbage, '\u0000\u0001 not json at all');
    await expectRefused(garbage, 'malformed');
    writeFileSync(garbage, JSON.stringify({ signed: { _type: 'veriterm-release' }, signatures: [] }));
    await expectRefused(garbage, 'malformed');
    await expectRefused(join(tmp.dir, 'missing.manifest.json'), 'malformed');
    // A well-formed manifest carrying a member canonical JSON cannot encode (a float).
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'));
    rewrite(v2.manifestFile, (m) => {
      (m.signed as unknown as Record<string, unknown>).extra = 1.5;
    });
    await expectRefused(v2.manifestFile, 'malformed');
  });

  it('follows a legitimate root rotation shipped in the manifest, then refuses releases signed by the retired key', async () => {
    const newRelease = generateSigningKey();
    const newRoot = generateSigningKey();
    const v2root = rotateRoot(
      a.root,
      { rootKeys: [newRoot], releaseKeys: [newRelease], expires: future(365) },
      [a.rootKey, newRoot],
    );
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(6, 'locked'), { roots: [v2root], keys: [newRelease] });
    expect(await importRelease(store, v2.manifestFile)).toMatchObject({ ok: true, applied: true });
    expect(store.trustedRoot()?.signed.version).toBe(2);
    before = store.state();
    const old = await snapshot(tmp.dir, a, 3, makeUnits(6, 'active'));
    const result = await importRelease(store, old.manifestFile);
    expect(result).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(store.state()).toEqual(before);
  });

  it('root rotation needs the old root keys too', () => {
    const stranger = generateSigningKey();
    expect(() =>
      rotateRoot(a.root, { rootKeys: [stranger], releaseKeys: [a.releaseKey] }, [stranger]),
    ).toThrow(expect.objectContaining({ code: 'root_not_trusted' }));
    expect(() =>
      createRoot({ rootKeys: [stranger], releaseKeys: [a.releaseKey], rootThreshold: 1 }, [a.rootKey]),
    ).toThrow(expect.objectContaining({ code: 'root_not_trusted' }));
  });
});
