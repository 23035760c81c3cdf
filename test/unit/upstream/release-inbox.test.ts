import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReleaseInbox } from '../../../upstream/release-inbox.js';
import { FileReleaseStorage } from '../../../upstream/storage/sqlite/file-releases.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { memoryLogger } from '../../integration/sync/harness.js';

// On PostgreSQL operators still drop releases into {data}/registry; each worker adds them to the
// storage in chain order (upstream/release-inbox.ts). Here the storage is another directory.
describe('release inbox', () => {
  const tmp = makeTempDir('vt-release-inbox-');
  afterAll(() => tmp.cleanup());
  const drop = (id: string, text = id) => {
    mkdirSync(join(tmp.dir, 'inbox', 'cn', id), { recursive: true });
    writeFileSync(join(tmp.dir, 'inbox', 'cn', id, 'cn.manifest.json'), text);
  };

  it('adds what the storage lacks in chain order, once; a delta off the chain is logged, not retried', async () => {
    for (const id of ['delta-2-3', 'delta-1-2', 'snapshot-1', 'delta-1-5', '.snapshot-9', 'notes']) drop(id);
    const storage = new FileReleaseStorage(join(tmp.dir, 'storage'));
    const { logger, lines } = memoryLogger();
    const inbox = new ReleaseInbox(join(tmp.dir, 'inbox'), storage, logger);
    expect(await inbox.scan()).toEqual(['cn/snapshot-1', 'cn/delta-1-2', 'cn/delta-2-3']);
    expect(lines().filter((l) => l.msg === 'release in the release directory not added')).toMatchObject([
      { release: 'delta-1-5', err: { code: 'version_taken' } },
    ]);
    expect(await inbox.scan()).toEqual([]);
    drop('delta-3-4');
    expect(await inbox.scan()).toEqual(['cn/delta-3-4']);
    expect((await storage.announcement('cn'))?.deltas.map((d) => d.id)).toEqual([
      'delta-1-2',
      'delta-2-3',
      'delta-3-4',
    ]);
    // Another worker's inbox over the same storage finds everything there already.
    expect(await new ReleaseInbox(join(tmp.dir, 'inbox'), storage, logger).scan()).toEqual([]);
  });
});
