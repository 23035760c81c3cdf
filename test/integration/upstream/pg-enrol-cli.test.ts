import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { silentLogger } from '../../../terminal/logger.js';
import { createRoot, generateSigningKey } from '../../../terminal/registry/index.js';
import { rootFingerprint } from '../../../upstream/enrolment-protocol.js';
import { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { runMerged } from '../../helpers/captured-io.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const run = (argv: string[]) => runMerged(main, argv);

// `veriterm upstream enrol --db postgres://…`: the one-time code goes into the database the
// PostgreSQL workers answer enrolments from, not into a SQLite file they never read.
describe.skipIf(!(await hasPostgres()))('veriterm upstream enrol --db postgres://…', () => {
  const tmp = makeTempDir('vt-pg-enrol-');
  let database: TestDatabase;
  let storage: PostgresUpstreamStorage;
  beforeAll(async () => {
    database = await createTestDatabase('vt_enrol');
    storage = await PostgresUpstreamStorage.open({ url: database.url, logger: silentLogger() });
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
    tmp.cleanup();
  });

  it('writes the code to PostgreSQL (single use there), replaces an open one, and leaves no SQLite file', async () => {
    const data = join(tmp.dir, 'up');
    mkdirSync(join(data, 'registry-keys'), { recursive: true });
    // A leftover local scope the workers do not serve: with --db the scope comes from the database.
    mkdirSync(join(data, 'registry', 'local-only'), { recursive: true });
    const snapshot = (version: number) => [{ name: 'manifest.json', bytes: Buffer.from(`{"v":${version}}`) }];
    await storage.releases.add('cn-east', { kind: 'snapshot', version: 1 }, snapshot(1));
    const k = generateSigningKey();
    const root = createRoot({ rootKeys: [k], releaseKeys: [k] }, [k]);
    writeFileSync(join(data, 'registry-keys', 'root.json'), JSON.stringify(root));
    const argv = [
      'upstream',
      'enrol',
      '--data',
      data,
      '--db',
      database.url,
      '--store',
      'S1',
      '--terminal',
      'T1',
    ];
    const first = await run(argv);
    expect(first.code).toBe(0);
    expect(first.text).toContain(`Registry root fingerprint: ${rootFingerprint(root)}`);
    const firstCode = /T1: ([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(first.text)?.[1];
    expect(firstCode).toBeDefined();
    expect(await storage.enrolment.latest('S1', 'T1')).toMatchObject({
      code: firstCode,
      scope: 'cn-east',
      usedAt: null,
    });
    expect(existsSync(join(data, 'upstream.db'))).toBe(false);

    const second = await run(argv);
    const secondCode = /T1: ([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(second.text)?.[1];
    expect(secondCode).toBeDefined();
    expect(secondCode).not.toBe(firstCode);
    const latest = await storage.enrolment.latest('S1', 'T1');
    expect(latest?.code).toBe(secondCode);
    const { rows } = await storage.pool.query('SELECT code FROM enrol_codes WHERE store_id = $1', ['S1']);
    expect(rows.map((r) => r.code)).toEqual([secondCode]);
    expect(await storage.enrolment.consume(latest!.id)).toBe(true);
    expect(await storage.enrolment.consume(latest!.id)).toBe(false);

    const bad = await run([
      'upstream',
      'enrol',
      '--data',
      data,
      '--db',
      'postgres://postgres@127.0.0.1:1/none',
      '--store',
      'S1',
      '--terminal',
      'T2',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.text).not.toContain('Enrolment code');

    // Two scopes in the database: no guess; the error names both, and nothing is issued.
    await storage.releases.add('cn-west', { kind: 'snapshot', version: 1 }, snapshot(1));
    const t3 = argv.map((a) => (a === 'T1' ? 'T3' : a));
    const ambiguous = await run(t3);
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.text).toContain('2 registry scopes with releases in the database (cn-east, cn-west)');
    expect(ambiguous.text).toContain('--scope');
    expect(await storage.enrolment.latest('S1', 'T3')).toBeUndefined();
    const chosen = await run([...t3, '--scope', 'cn-west']);
    expect(chosen.code).toBe(0);
    expect(await storage.enrolment.latest('S1', 'T3')).toMatchObject({ scope: 'cn-west' });
  }, 60_000);
});
