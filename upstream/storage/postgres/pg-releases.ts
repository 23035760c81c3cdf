import type pg from 'pg';
import type { Announcement, FileRef, ReleaseRef } from '../../../terminal/sync/protocol.js';
import { DEFAULT_CHUNK_BYTES, MAX_ANNOUNCED_DELTAS } from '../../release-catalog.js';
import type { NewRelease, ReleaseFile, ReleaseStorage } from '../contract.js';
import {
  checkNewRelease,
  describeBytes,
  FILE_NAME,
  RELEASE_ID,
  ReleaseConflictError,
  SCOPE_NAME,
} from '../release-files.js';
import { BoundedCache } from './chunk-cache.js';

export interface PgReleaseOptions {
  /** Chunk size of the releases this worker adds (each release keeps the size it was added with). @default 262144 */
  chunkBytes?: number | undefined;
  /** Release chunks kept in this worker's memory. @default 64 MiB */
  cacheBytes?: number | undefined;
}

/** Chunks per INSERT statement when a release is added (4 MiB of parameters at the default size). */
const CHUNKS_PER_STATEMENT = 16;
/** Release descriptions kept in memory (a delta's is a few hundred bytes). */
const MAX_CACHED_REFS = 20_000;

type Transaction = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

interface ReleaseRow {
  id: string;
  kind: 'snapshot' | 'delta';
  from_version: number | null;
  version: number;
  files: string;
}

const refOf = (row: ReleaseRow): ReleaseRef => {
  const files = JSON.parse(row.files) as FileRef[];
  return row.kind === 'snapshot'
    ? { id: row.id, kind: 'snapshot', version: row.version, files }
    : { id: row.id, kind: 'delta', from: row.from_version ?? 0, version: row.version, files };
};

/**
 * The releases on PostgreSQL (migration step 4): every worker announces the same versions and
 * serves any chunk, whoever added the release. Releases never change once added, so each worker
 * keeps the chunks it served and the descriptions it read in memory (bounded): a new delta's chunk
 * asked for by every kiosk of a scope is read from the database once per worker. The
 * announcement's list is read on every call (a few index rows), so it is never staler than the
 * database.
 */
export class PgReleaseStorage implements ReleaseStorage {
  private readonly chunkBytes: number;
  readonly chunks: BoundedCache<Buffer>;
  private readonly refs = new BoundedCache<ReleaseRef>(MAX_CACHED_REFS, () => 1);

  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: Transaction,
    options: PgReleaseOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.chunks = new BoundedCache<Buffer>(options.cacheBytes ?? 64 << 20, (b) => b.length);
  }

  async scopes(): Promise<string[]> {
    const { rows } = await this.pool.query<{ scope: string }>(
      'SELECT scope FROM up_release_heads ORDER BY scope',
    );
    return rows.map((r) => r.scope);
  }

  async version(scope: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ version: number }>(
      'SELECT version FROM up_release_heads WHERE scope = $1',
      [scope],
    );
    return rows[0]?.version;
  }

  async announcement(scope: string): Promise<Announcement | undefined> {
    if (!SCOPE_NAME.test(scope)) return undefined;
    // One round trip: the head, the newest snapshot's id and the last deltas' ids by `from`.
    const { rows } = await this.pool.query<{ kind: string; id: string | null; version: number }>(
      `SELECT 'head' AS kind, NULL AS id, version FROM up_release_heads WHERE scope = $1
       UNION ALL (SELECT kind, id, version FROM up_releases WHERE scope = $1 AND kind = 'snapshot'
                  ORDER BY version DESC LIMIT 1)
       UNION ALL (SELECT kind, id, version FROM up_releases WHERE scope = $1 AND kind = 'delta'
                  ORDER BY from_version DESC, version DESC LIMIT $2)`,
      [scope, MAX_ANNOUNCED_DELTAS],
    );
    const head = rows.find((r) => r.kind === 'head');
    if (!head) return undefined;
    const ids = rows.filter((r) => r.kind !== 'head').map((r) => r.id!);
    const refs = await this.describe(scope, ids);
    const snapshot = rows.find((r) => r.kind === 'snapshot');
    const deltas = rows
      .filter((r) => r.kind === 'delta')
      .reverse()
      .map((r) => refs.get(r.id!)!);
    return {
      v: 1,
      scope,
      version: head.version,
      publishedAt: new Date().toISOString(),
      ...(snapshot ? { snapshot: refs.get(snapshot.id!)! } : {}),
      deltas,
    };
  }

  /** Descriptions of releases of one scope by id: from memory, the rest in one query. */
  private async describe(scope: string, ids: readonly string[]): Promise<Map<string, ReleaseRef>> {
    const found = new Map<string, ReleaseRef>();
    const missing: string[] = [];
    for (const id of ids) {
      const ref = this.refs.peek(`${scope}/${id}`);
      if (ref) found.set(id, ref);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const { rows } = await this.pool.query<ReleaseRow>(
        'SELECT id, kind, from_version, version, files FROM up_releases WHERE scope = $1 AND id = ANY($2::text[])',
        [scope, missing],
      );
      for (const row of rows) {
        const ref = refOf(row);
        this.refs.set(`${scope}/${row.id}`, ref);
        found.set(row.id, ref);
      }
    }
    return found;
  }

  async release(scope: string, id: string): Promise<ReleaseRef | undefined> {
    if (!SCOPE_NAME.test(scope) || !RELEASE_ID.test(id)) return undefined;
    return (await this.describe(scope, [id])).get(id);
  }

  async chunk(
    scope: string,
    releaseId: string,
    fileName: string,
    index: number,
  ): Promise<Buffer | undefined> {
    if (!FILE_NAME.test(fileName) || !Number.isSafeInteger(index) || index < 0) return undefined;
    const file = (await this.release(scope, releaseId))?.files.find((f) => f.name === fileName);
    if (!file || index >= file.chunks.length) return undefined;
    return this.chunks.get(`${scope}/${releaseId}/${fileName}#${index}`, async () => {
      const { rows } = await this.pool.query<{ bytes: Buffer }>(
        'SELECT bytes FROM up_release_chunks WHERE scope = $1 AND release_id = $2 AND file = $3 AND n = $4',
        [scope, releaseId, fileName, index],
      );
      return rows[0]?.bytes;
    });
  }

  async file(scope: string, releaseId: string, fileName: string): Promise<Buffer | undefined> {
    if (!FILE_NAME.test(fileName)) return undefined;
    const file = (await this.release(scope, releaseId))?.files.find((f) => f.name === fileName);
    if (!file) return undefined;
    const { rows } = await this.pool.query<{ bytes: Buffer }>(
      'SELECT bytes FROM up_release_chunks WHERE scope = $1 AND release_id = $2 AND file = $3 ORDER BY n',
      [scope, releaseId, fileName],
    );
    return Buffer.concat(rows.map((r) => r.bytes));
  }

  async add(scope: string, release: NewRelease, files: readonly ReleaseFile[]): Promise<ReleaseRef> {
    const id = checkNewRelease(scope, release, files);
    const described = files
      .map((f) => describeBytes(f.name, f.bytes, this.chunkBytes))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const ref: ReleaseRef =
      release.kind === 'snapshot'
        ? { id, kind: 'snapshot', version: release.version, files: described }
        : { id, kind: 'delta', from: release.from, version: release.version, files: described };
    await this.transaction(async (client) => {
      if (release.kind === 'delta') {
        // Compare and set the head: a racing append waits for this row, then finds it moved.
        await client.query(
          'INSERT INTO up_release_heads (scope, version) VALUES ($1, 0) ON CONFLICT (scope) DO NOTHING',
          [scope],
        );
        const moved = await client.query<{ version: number }>(
          'UPDATE up_release_heads SET version = $3 WHERE scope = $1 AND version = $2 RETURNING version',
          [scope, release.from, release.version],
        );
        if (moved.rowCount !== 1) {
          const { rows } = await client.query<{ version: number }>(
            'SELECT version FROM up_release_heads WHERE scope = $1',
            [scope],
          );
          throw new ReleaseConflictError(
            'version_taken',
            `${scope}/${id}: the scope is at version ${rows[0]?.version ?? 0}, not ${release.from}`,
          );
        }
      } else {
        await client.query(
          `INSERT INTO up_release_heads (scope, version) VALUES ($1, $2)
           ON CONFLICT (scope) DO UPDATE SET version = greatest(up_release_heads.version, excluded.version)`,
          [scope, release.version],
        );
      }
      try {
        await client.query(
          'INSERT INTO up_releases (scope, id, kind, from_version, version, files) VALUES ($1, $2, $3, $4, $5, $6)',
          [
            scope,
            id,
            release.kind,
            release.kind === 'delta' ? release.from : null,
            release.version,
            JSON.stringify(described),
          ],
        );
      } catch (error) {
        if ((error as { code?: string }).code === '23505')
          throw new ReleaseConflictError('release_exists', `${scope}/${id} exists`);
        throw error;
      }
      await insertChunks(client, scope, id, files, this.chunkBytes);
    });
    return ref;
  }

  async list(scope: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM up_releases WHERE scope = $1 ORDER BY id',
      [scope],
    );
    return rows.map((r) => r.id);
  }

  async remove(scope: string, id: string): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('DELETE FROM up_release_chunks WHERE scope = $1 AND release_id = $2', [scope, id]);
      await client.query('DELETE FROM up_releases WHERE scope = $1 AND id = $2', [scope, id]);
    });
    this.refs.delete(`${scope}/${id}`);
  }
}

async function insertChunks(
  client: pg.PoolClient,
  scope: string,
  id: string,
  files: readonly ReleaseFile[],
  chunkBytes: number,
): Promise<void> {
  let names: string[] = [];
  let indexes: number[] = [];
  let bodies: Buffer[] = [];
  const flush = async () => {
    if (bodies.length === 0) return;
    await client.query(
      `INSERT INTO up_release_chunks (scope, release_id, file, n, bytes)
       SELECT $1, $2, f, n, b FROM unnest($3::text[], $4::int[], $5::bytea[]) AS u(f, n, b)`,
      [scope, id, names, indexes, bodies],
    );
    names = [];
    indexes = [];
    bodies = [];
  };
  for (const f of files) {
    const bytes = Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    for (let offset = 0, n = 0; offset < bytes.length; offset += chunkBytes, n++) {
      names.push(f.name);
      indexes.push(n);
      bodies.push(bytes.subarray(offset, offset + chunkBytes));
      if (bodies.length >= CHUNKS_PER_STATEMENT) await flush();
    }
  }
  await flush();
}
