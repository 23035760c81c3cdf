import { createHash, randomBytes } from 'node:crypto';
import { expect, type it } from 'vitest';
import { announcementSchema } from '../../terminal/sync/protocol.js';
import { MAX_ANNOUNCED_DELTAS } from '../../upstream/release-catalog.js';
import type { ReleaseStorage, UpstreamStorage } from '../../upstream/storage/contract.js';

/** Small chunks, so a release body spans several. */
export const CHUNK_BYTES = 1024;

/**
 * The release cases of the upstream storage contract (upstream-storage.contract.test.ts runs them
 * for every engine): snapshot and deltas announced and served by chunk and whole, on a second
 * worker too; a delta not onto the current version refused; two appends racing, one wins; bad
 * input named; the announcement's limit. Storages must be opened with CHUNK_BYTES.
 */
export function releaseCases(
  run: typeof it | typeof it.skip,
  engine: {
    fresh(): Promise<UpstreamStorage>;
    sibling?(of: UpstreamStorage): Promise<UpstreamStorage>;
  },
): void {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const manifest = (version: number, text = `manifest ${version}`) => ({
    name: `cn-${version}.manifest.json`,
    bytes: Buffer.from(text),
  });
  const delta = (releases: ReleaseStorage, from: number, text?: string) =>
    releases.add('cn', { kind: 'delta', from, version: from + 1 }, [manifest(from + 1, text)]);

  run(
    'releases: a snapshot and appended deltas are announced, served by chunk and whole, on every worker',
    async () => {
      const storage = await engine.fresh();
      const { releases } = storage;
      expect(await releases.scopes()).toEqual([]);
      expect(await releases.version('cn')).toBeUndefined();
      expect(await releases.announcement('cn')).toBeUndefined();
      const body = randomBytes(2 * CHUNK_BYTES + 500);
      const snapshot = await releases.add('cn', { kind: 'snapshot', version: 1 }, [
        manifest(1),
        { name: 'cn-1.body', bytes: body },
      ]);
      expect(snapshot).toEqual({
        id: 'snapshot-1',
        kind: 'snapshot',
        version: 1,
        files: [
          {
            name: 'cn-1.body',
            size: body.length,
            sha256: sha(body),
            chunkSize: CHUNK_BYTES,
            chunks: [0, 1, 2].map((i) => sha(body.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES))),
          },
          {
            name: 'cn-1.manifest.json',
            size: 10,
            sha256: sha(Buffer.from('manifest 1')),
            chunkSize: CHUNK_BYTES,
            chunks: [sha(Buffer.from('manifest 1'))],
          },
        ],
      });
      for (const from of [1, 2, 3]) await delta(releases, from);
      expect(await releases.version('cn')).toBe(4);
      expect(await releases.scopes()).toEqual(['cn']);
      const ann = announcementSchema.parse(await releases.announcement('cn'));
      expect(ann).toMatchObject({ v: 1, scope: 'cn', version: 4, snapshot });
      expect(ann.deltas.map((d) => [d.id, d.from, d.version])).toEqual([
        ['delta-1-2', 1, 2],
        ['delta-2-3', 2, 3],
        ['delta-3-4', 3, 4],
      ]);
      expect(await releases.release('cn', 'delta-2-3')).toEqual(ann.deltas[1]);
      expect(await releases.release('cn', 'delta-4-5')).toBeUndefined();

      // Another worker on the same data (PostgreSQL) announces and serves the same, byte for byte.
      const other = (await engine.sibling?.(storage))?.releases ?? releases;
      expect(await other.announcement('cn')).toEqual({ ...ann, publishedAt: expect.any(String) });
      const chunks = await Promise.all([0, 1, 2].map((i) => other.chunk('cn', 'snapshot-1', 'cn-1.body', i)));
      expect(Buffer.concat(chunks.map((c) => c!))).toEqual(body);
      expect(await other.chunk('cn', 'snapshot-1', 'cn-1.body', 1)).toEqual(chunks[1]); // again: from memory
      expect(await other.file('cn', 'snapshot-1', 'cn-1.body')).toEqual(body);
      expect(await other.file('cn', 'delta-3-4', 'cn-4.manifest.json')).toEqual(Buffer.from('manifest 4'));
      // What a terminal may name and is not there (or not allowed) is undefined, never a fault.
      for (const [scope, id, file, index] of [
        ['cn', 'snapshot-1', 'cn-1.body', 3],
        ['cn', 'snapshot-1', 'cn-1.body', -1],
        ['cn', 'snapshot-1', 'missing', 0],
        ['cn', 'snapshot-2', 'cn-1.body', 0],
        ['cn', '../snapshot-1', 'cn-1.body', 0],
        ['..', 'snapshot-1', 'cn-1.body', 0],
        ['other', 'snapshot-1', 'cn-1.body', 0],
      ] as const) {
        expect(await other.chunk(scope, id, file, index), `${scope}/${id}/${file}#${index}`).toBeUndefined();
        if (file !== 'cn-1.body' || id !== 'snapshot-1' || scope !== 'cn')
          expect(await other.file(scope, id, file), `${scope}/${id}/${file}`).toBeUndefined();
      }
      expect(await other.announcement('../cn')).toBeUndefined();
    },
  );

  run(
    'releases: a delta not onto the current version is refused; two publishers racing: one wins, nothing forks',
    async () => {
      const storage = await engine.fresh();
      const { releases } = storage;
      await expect(delta(releases, 3)).rejects.toMatchObject({
        code: 'version_taken',
        message: 'cn/delta-3-4: the scope is at version 0, not 3',
      });
      await releases.add('cn', { kind: 'snapshot', version: 5 }, [manifest(5)]);
      await expect(
        releases.add('cn', { kind: 'snapshot', version: 5 }, [manifest(5, 'other')]),
      ).rejects.toMatchObject({
        code: 'release_exists',
      });
      await expect(delta(releases, 4)).rejects.toMatchObject({ code: 'version_taken' });
      const other = (await engine.sibling?.(storage))?.releases ?? releases;
      const raced = await Promise.allSettled([delta(releases, 5, 'first'), delta(other, 5, 'second')]);
      const won = raced.findIndex((r) => r.status === 'fulfilled');
      expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = raced[1 - won] as PromiseRejectedResult;
      expect(['version_taken', 'release_exists']).toContain((lost.reason as { code?: string }).code);
      expect(await releases.file('cn', 'delta-5-6', 'cn-6.manifest.json')).toEqual(
        Buffer.from(won === 0 ? 'first' : 'second'),
      );
      // The loser retrying what it built is refused too; the chain goes on from the winner's version.
      await expect(delta(other, 5, 'late')).rejects.toMatchObject({ code: 'version_taken' });
      await delta(other, 6);
      const ann = await releases.announcement('cn');
      expect(ann?.version).toBe(7);
      expect(ann?.deltas.map((d) => d.id)).toEqual(['delta-5-6', 'delta-6-7']);
      // Bad input names what was wrong.
      for (const [scope, release, files, wrong] of [
        ['../x', { kind: 'snapshot', version: 1 }, [manifest(1)], /expected a scope/],
        [
          'cn',
          { kind: 'delta', from: 7, version: 7 },
          [manifest(7)],
          /expected a delta to a later version, got 7 → 7/,
        ],
        ['cn', { kind: 'snapshot', version: -1 }, [manifest(1)], /expected non-negative integer versions/],
        ['cn', { kind: 'snapshot', version: 9 }, [], /expected 1–16 files, got 0/],
        [
          'cn',
          { kind: 'snapshot', version: 9 },
          [{ name: '.hidden', bytes: Buffer.from('x') }],
          /not hidden/,
        ],
      ] as const)
        await expect(releases.add(scope, release, files), String(wrong)).rejects.toMatchObject({
          code: 'bad_release',
          message: expect.stringMatching(wrong),
        });
      expect(await releases.version('cn')).toBe(7);
    },
  );

  run(
    `releases: the announcement lists the newest snapshot and the last ${MAX_ANNOUNCED_DELTAS} deltas`,
    async () => {
      const { releases } = await engine.fresh();
      await releases.add('cn', { kind: 'snapshot', version: 1 }, [manifest(1)]);
      for (let from = 1; from <= MAX_ANNOUNCED_DELTAS + 1; from++) await delta(releases, from);
      const top = MAX_ANNOUNCED_DELTAS + 2;
      await releases.add('cn', { kind: 'snapshot', version: top }, [manifest(top)]);
      const ann = await releases.announcement('cn');
      expect(ann?.version).toBe(top);
      expect(ann?.snapshot?.id).toBe(`snapshot-${top}`);
      expect(ann?.deltas).toHaveLength(MAX_ANNOUNCED_DELTAS);
      expect(ann?.deltas[0]?.id).toBe('delta-2-3');
      expect(ann?.deltas.at(-1)?.id).toBe(`delta-${top - 1}-${top}`);
      // Still served, though no longer announced.
      expect(await releases.file('cn', 'delta-1-2', 'cn-2.manifest.json')).toEqual(Buffer.from('manifest 2'));
      expect(await releases.file('cn', 'snapshot-1', 'cn-1.manifest.json')).toEqual(
        Buffer.from('manifest 1'),
      );
      // Retired by the publisher: gone from every read; the version and the announcement stay.
      expect(await releases.list('cn')).toHaveLength(MAX_ANNOUNCED_DELTAS + 3);
      await releases.remove('cn', 'delta-1-2');
      await releases.remove('cn', 'snapshot-1');
      expect(await releases.release('cn', 'delta-1-2')).toBeUndefined();
      expect(await releases.chunk('cn', 'snapshot-1', 'cn-1.manifest.json', 0)).toBeUndefined();
      expect(await releases.list('cn')).not.toContain('snapshot-1');
      expect(await releases.list('cn')).toHaveLength(MAX_ANNOUNCED_DELTAS + 1);
      expect(await releases.version('cn')).toBe(top);
      expect(await releases.announcement('cn')).toEqual({ ...ann, publishedAt: expect.any(String) });
    },
  );
}
