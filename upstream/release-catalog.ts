import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Announcement, FileRef, ReleaseRef } from '../terminal/sync/protocol.js';

/** Default chunk size of snapshot/delta transfers: well under common broker message limits. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/** Deltas listed in an announcement (the most recent ones). */
export const MAX_ANNOUNCED_DELTAS = 500;

const RELEASE_DIR = /^(snapshot-(\d+)|delta-(\d+)-(\d+))$/;

/**
 * Registry releases on disk, as published by the upstream:
 * `{root}/{scope}/snapshot-{version}/…files` and `{root}/{scope}/delta-{from}-{to}/…files`.
 * The files are opaque here (the registry module signs and verifies them); this catalogue
 * only describes them (sizes, SHA-256 per file and per chunk) and serves chunks.
 */
export class ReleaseCatalog {
  private readonly refs = new Map<string, ReleaseRef>();

  constructor(
    readonly root: string,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {}

  scopes(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  }

  scopeDir(scope: string): string {
    const dir = join(this.root, scope);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Describes every release of a scope; the announcement's version is the highest reachable one. */
  announcement(scope: string): Announcement | undefined {
    const dir = join(this.root, scope);
    if (!existsSync(dir)) return undefined;
    const releases: ReleaseRef[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !RELEASE_DIR.test(entry.name)) continue;
      releases.push(this.describe(scope, entry.name));
    }
    const snapshots = releases.filter((r) => r.kind === 'snapshot').sort((a, b) => b.version - a.version);
    const deltas = releases.filter((r) => r.kind === 'delta').sort((a, b) => (a.from ?? 0) - (b.from ?? 0));
    const version = Math.max(-1, ...releases.map((r) => r.version));
    if (version < 0) return undefined;
    return {
      v: 1,
      scope,
      version,
      publishedAt: new Date().toISOString(),
      ...(snapshots[0] ? { snapshot: snapshots[0] } : {}),
      // Bounded so the retained message stays small; a terminal further behind takes the snapshot.
      deltas: deltas.slice(-MAX_ANNOUNCED_DELTAS),
    };
  }

  describe(scope: string, id: string): ReleaseRef {
    const cacheKey = `${scope}/${id}`;
    const cached = this.refs.get(cacheKey);
    if (cached) return cached;
    const m = RELEASE_DIR.exec(id);
    if (!m) throw new Error(`not a release directory: ${id}`);
    const dir = join(this.root, scope, id);
    const files: FileRef[] = readdirSync(dir, { withFileTypes: true })
      .filter((f) => f.isFile() && !f.name.startsWith('.'))
      .map((f) => this.describeFile(join(dir, f.name), f.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const ref: ReleaseRef = m[2]
      ? { id, kind: 'snapshot', version: Number(m[2]), files }
      : { id, kind: 'delta', from: Number(m[3]), version: Number(m[4]), files };
    this.refs.set(cacheKey, ref);
    return ref;
  }

  private describeFile(path: string, name: string): FileRef {
    const size = statSync(path).size;
    const whole = createHash('sha256');
    const chunks: string[] = [];
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(this.chunkBytes);
    try {
      for (let offset = 0; offset < size; offset += this.chunkBytes) {
        const n = readSync(fd, buf, 0, Math.min(this.chunkBytes, size - offset), offset);
        const chunk = buf.subarray(0, n);
        whole.update(chunk);
        chunks.push(createHash('sha256').update(chunk).digest('hex'));
      }
    } finally {
      closeSync(fd);
    }
    return { name, size, sha256: whole.digest('hex'), chunkSize: this.chunkBytes, chunks };
  }

  /**
   * Deletes one release of a scope and its cached description (the publisher retires snapshots
   * and deltas no announcement lists any more). A release id that is not one is refused.
   */
  remove(scope: string, id: string): void {
    if (!RELEASE_DIR.test(id)) throw new Error(`not a release directory: ${id}`);
    rmSync(join(this.root, scope, id), { recursive: true, force: true });
    this.refs.delete(`${scope}/${id}`);
  }

  /** One chunk's bytes, or undefined when release, file or index do not exist. */
  chunk(scope: string, releaseId: string, fileName: string, index: number): Buffer | undefined {
    if (
      !RELEASE_DIR.test(releaseId) ||
      !/^[A-Za-z0-9_.-]{1,100}$/.test(fileName) ||
      !/^[A-Za-z0-9_.-]{1,64}$/.test(scope)
    ) {
      return undefined;
    }
    let ref: ReleaseRef;
    try {
      ref = this.describe(scope, releaseId);
    } catch {
      return undefined;
    }
    const file = ref.files.find((f) => f.name === fileName);
    if (!file || index >= file.chunks.length) return undefined;
    const offset = index * file.chunkSize;
    const buf = Buffer.alloc(Math.min(file.chunkSize, file.size - offset));
    const fd = openSync(join(this.root, scope, releaseId, fileName), 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    return buf;
  }
}
