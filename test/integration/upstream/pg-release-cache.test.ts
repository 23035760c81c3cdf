import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { silentLogger } from '../../../terminal/logger.js';
import type { Upstream } from '../../../upstream/create-upstream.js';
import { parseUpstreamOptions } from '../../../upstream/options.js';
import { DEFAULT_CHUNK_BYTES } from '../../../upstream/release-catalog.js';
import { type StartedUpstream, startUpstream } from '../../../upstream/start-upstream.js';
import type { PgReleaseStorage } from '../../../upstream/storage/postgres/pg-releases.js';
import { runMerged } from '../../helpers/captured-io.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const run = (argv: string[]) => runMerged(main, argv);

describe('--release-cache-mib and the releaseCacheMib option: bad values are named', () => {
  const base = ['upstream', 'run', '--broker', 'mqtt://127.0.0.1:1', '--data', '/nonexistent-vt'];
  it('rejects a value that is not a whole number of MiB, and the flag without --db', async () => {
    const db = ['--db', 'postgres://postgres@127.0.0.1:1/none'];
    for (const bad of ['12.5', '-1', 'lots', '70000']) {
      const r = await run([...base, ...db, `--release-cache-mib=${bad}`]);
      expect(r.code).toBe(2);
      expect(r.text).toContain(
        `--release-cache-mib expected a whole number of MiB from 0 to 65536, got '${bad}'`,
      );
    }
    const sqlite = await run([...base, '--release-cache-mib', '128']);
    expect(sqlite.code).toBe(2);
    expect(sqlite.text).toContain('--release-cache-mib applies to workers on PostgreSQL (--db postgres://…)');
  });

  it('the option reports the field, what was expected and what it got', () => {
    expect(parseUpstreamOptions({ brokerUrl: 'mqtt://h:1883' }).releaseCacheMib).toBe(64);
    expect(() => parseUpstreamOptions({ brokerUrl: 'mqtt://h:1883', releaseCacheMib: -1 })).toThrow(
      'upstream options: releaseCacheMib: Expected 0 or more MiB, got -1',
    );
    expect(() => parseUpstreamOptions({ brokerUrl: 'mqtt://h:1883', releaseCacheMib: 1.5 })).toThrow(
      'releaseCacheMib: Expected a whole number of MiB, got 1.5',
    );
  });
});

const ready = hasSystemTool('mosquitto') && (await hasPostgres());

describe.skipIf(!ready)('releaseCacheMib bounds the release chunks a worker on PostgreSQL keeps', () => {
  const tmp = makeTempDir('vt-pg-release-cache-');
  let broker: MosquittoBroker;
  let database: TestDatabase;
  const started: StartedUpstream<Upstream>[] = [];
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
    database = await createTestDatabase('vt_release_cache');
  });
  afterAll(async () => {
    for (const s of started) await s.stop();
    await database?.drop();
    await broker?.stop();
    tmp.cleanup();
  });

  /** Starts a worker, reads every chunk of a 6-chunk release through it, returns the bytes it kept. */
  const cachedAfterReading = async (name: string, releaseCacheMib?: number) => {
    const s = await startUpstream({
      dataDir: join(tmp.dir, name),
      database: database.url,
      logger: silentLogger(),
      options: {
        brokerUrl: broker.url,
        clientId: `vt-upstream-${name}`,
        publishRegistry: false,
        ...(releaseCacheMib === undefined ? {} : { releaseCacheMib }),
      },
    });
    started.push(s);
    const releases = s.upstream.storage.releases as PgReleaseStorage;
    if ((await releases.version('cn')) === undefined)
      await releases.add('cn', { kind: 'snapshot', version: 1 }, [
        { name: 'cn-1.body', bytes: randomBytes(6 * DEFAULT_CHUNK_BYTES) },
      ]);
    for (let i = 0; i < 6; i++)
      expect(await releases.chunk('cn', 'snapshot-1', 'cn-1.body', i)).toBeDefined();
    return releases.chunks.size;
  };

  it('1 MiB keeps four 256 KiB chunks, the default all six, 0 none', async () => {
    expect(await cachedAfterReading('one-mib', 1)).toBe(4 * DEFAULT_CHUNK_BYTES);
    expect(await cachedAfterReading('default')).toBe(6 * DEFAULT_CHUNK_BYTES);
    expect(await cachedAfterReading('none', 0)).toBe(0);
  }, 60_000);
});
