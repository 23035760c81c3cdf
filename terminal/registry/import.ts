import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../db/open-database.js';
import { DeltaApplier } from './apply-delta.js';
import { type ContentTotals, SnapshotApplier } from './apply-snapshot.js';
import { checkBodyFile, readBodyChunks, readBodyLines } from './body-reader.js';
import { RegistryError, type RegistryRefusal } from './errors.js';
import { parseManifest, type ReleaseManifest } from './manifest.js';
import { parseRoot, type RootMetadata, verifyRootChain, verifyRootStep } from './root.js';
import { migrateRegistry, type RegistryStateRow, registryStateFromRow } from './schema.js';
import { requireThreshold } from './signed.js';
import type { RegistryStore } from './store.js';
import type { RegistryState } from './types.js';

export interface ImportTrust {
  /**
   * Root to trust when the database holds none yet (first import = pinning): root metadata, its
   * JSON text, or a file path. Ignored once a root is stored; the stored root always wins.
   */
  pinnedRoot?: RootMetadata | string;
  /** Scope this terminal accepts. @default the stored scope (pinned or last imported) */
  scope?: string;
  /** Newer root metadata obtained out of band (besides the manifest's `roots`). */
  roots?: readonly RootMetadata[];
  /** Clock for expiry checks. @default new Date() */
  now?: Date;
  /** Largest manifest file accepted. @default 4 MiB */
  maxManifestBytes?: number;
  /** Verify everything, apply inside the transaction, then roll back (`registry verify`). @default false */
  dryRun?: boolean;
  /**
   * After the commit, copy the WAL back into the database file and truncate it ('truncate'), or
   * leave that to a later `checkpointRegistry` when the terminal is idle ('none': the import
   * returns as soon as the new version is durable and visible). @default 'truncate'
   */
  checkpoint?: 'truncate' | 'none';
}

/** Where a release is: a manifest file, a directory holding one `*.manifest.json`, or parts. */
export type ReleaseSource = string | { manifest: string | ReleaseManifest; bodyFile: string };

export type ImportResult =
  | { ok: true; applied: boolean; kind: 'snapshot' | 'delta'; state: RegistryState; previous?: RegistryState }
  | RegistryRefusal;

interface Loaded {
  manifest: ReleaseManifest;
  bodyFile: string;
}

function loadSource(source: ReleaseSource, maxBytes: number): Loaded {
  if (typeof source !== 'string') {
    const manifest =
      typeof source.manifest === 'string' ? parseManifest(source.manifest) : parseManifest(source.manifest);
    return { manifest, bodyFile: source.bodyFile };
  }
  let file = source;
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
    if (stat.isDirectory()) {
      const found = readdirSync(file).filter((f) => f.endsWith('.manifest.json'));
      if (found.length !== 1) {
        throw new RegistryError(
          'malformed',
          `${source}: expected exactly one *.manifest.json, found ${found.length}`,
        );
      }
      file = join(source, found[0]!);
      stat = statSync(file);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError('malformed', `${source}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  if (stat.size > maxBytes)
    throw new RegistryError('oversized', `${file}: manifest is ${stat.size} bytes, limit ${maxBytes}`);
  const manifest = parseManifest(readFileSync(file, 'utf8'));
  return { manifest, bodyFile: join(dirname(file), manifest.signed.body.file) };
}

export function readTrust(db: SqliteDatabase): { root: RootMetadata; scope: string | null } | undefined {
  const row = db.prepare('SELECT root, scope FROM registry_trust WHERE id = 1').get() as
    | { root: string; scope: string | null }
    | undefined;
  return row ? { root: parseRoot(row.root), scope: row.scope } : undefined;
}

export function readState(db: SqliteDatabase): (RegistryState & ContentTotals) | undefined {
  const row = db.prepare('SELECT * FROM registry_state WHERE id = 1').get() as
    | (RegistryStateRow & { products: number; batches: number })
    | undefined;
  if (!row) return undefined;
  return {
    ...registryStateFromRow(row),
    hash: row.content_hash,
    products: row.products,
    batches: row.batches,
  };
}

export function loadPinnedRoot(input: RootMetadata | string): RootMetadata {
  if (typeof input !== 'string') return parseRoot(input);
  if (input.trimStart().startsWith('{')) return parseRoot(input);
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch (error) {
    throw new RegistryError(
      'malformed',
      `root file ${input} cannot be read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  return parseRoot(text);
}

export function writeTrust(db: SqliteDatabase, root: RootMetadata, scope: string | null, now: Date): void {
  db.prepare(
    `INSERT INTO registry_trust (id, root, root_version, scope, pinned_at) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET root = excluded.root, root_version = excluded.root_version, scope = excluded.scope,
       pinned_at = CASE WHEN registry_trust.root_version = excluded.root_version THEN registry_trust.pinned_at ELSE excluded.pinned_at END`,
  ).run(JSON.stringify(root), root.signed.version, scope, now.toISOString());
}

/**
 * Records `manifest` as the installed release with the content it leaves (inside the caller's
 * transaction): what `importRelease` commits, and `buildDelta` with `commit` on the builder's copy.
 */
export function writeState(
  db: SqliteDatabase,
  manifest: ReleaseManifest,
  totals: ContentTotals,
  now: Date,
): void {
  const m = manifest.signed;
  db.prepare(
    `INSERT INTO registry_state (id, scope, version, created, expires, content_hash, products, batches, units, manifest, imported_at)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, version = excluded.version, created = excluded.created,
       expires = excluded.expires, content_hash = excluded.content_hash, products = excluded.products,
       batches = excluded.batches, units = excluded.units, manifest = excluded.manifest, imported_at = excluded.imported_at`,
  ).run(
    m.scope,
    m.version,
    m.created,
    m.expires,
    totals.hash,
    totals.products,
    totals.batches,
    totals.units,
    JSON.stringify({ signed: m, signatures: manifest.signatures }),
    now.toISOString(),
  );
}

/**
 * Verifies a release against the trusted root, then applies it in one SQLite transaction together
 * with the advanced trust metadata. Checks, in order: manifest shape, root chain from the stored
 * (or pinned) root, release signatures and threshold, scope, expiry, version/base, body length
 * and SHA-256: all before any row changes. Then streams the body into the tables, checks the
 * inflated size, the second-pass hash, the counts and the content hash, and commits. Any refusal
 * rolls back and leaves the previous registry as it was.
 */
export async function importRelease(
  store: RegistryStore | string,
  source: ReleaseSource,
  trust: ImportTrust = {},
): Promise<ImportResult> {
  const file = typeof store === 'string' ? store : store.file;
  const now = trust.now ?? new Date();
  let db: SqliteDatabase | undefined;
  let inTransaction = false;
  try {
    const { manifest, bodyFile } = loadSource(source, trust.maxManifestBytes ?? 4 << 20);
    const m = manifest.signed;
    db = openDatabase(file);
    migrateRegistry(db);
    // Page cache for this one connection. Deltas touch pages all over the unit table: 32 MB.
    // Snapshots insert in key order, so only the right-hand edge of each B-tree is hot: 8 MB keeps
    // the import's peak RSS down (10 M units: 140–149 MB against 169–178 MB with 32 MB, no slower).
    db.pragma(m.kind === 'snapshot' ? 'cache_size = -8192' : 'cache_size = -32768');
    if (trust.checkpoint === 'none') db.pragma('wal_autocheckpoint = 0');
    // Deltas read rows all over the unit table: memory-mapped reads skip a pread() per page.
    // (Not for snapshots, which mostly write, so their peak RSS stays small.)
    if (m.kind === 'delta') db.pragma('mmap_size = 1073741824');
    // Take the write lock first: two importers never interleave, readers keep reading.
    db.exec('BEGIN IMMEDIATE');
    inTransaction = true;

    const stored = readTrust(db);
    let anchor = stored?.root;
    if (!anchor) {
      if (!trust.pinnedRoot)
        throw new RegistryError(
          'root_not_trusted',
          'no root is pinned: pin one first (veriterm registry pin ROOT)',
        );
      anchor = loadPinnedRoot(trust.pinnedRoot);
      verifyRootStep(undefined, anchor, now);
    }
    const root = verifyRootChain(anchor, [...(manifest.roots ?? []), ...(trust.roots ?? [])], now);
    if (root.signed.version < m.rootVersion) {
      throw new RegistryError(
        'root_not_trusted',
        `manifest is signed under root v${m.rootVersion}; the chain from the trusted root reaches v${root.signed.version}`,
      );
    }
    requireThreshold(
      manifest,
      root.signed.keys,
      root.signed.roles.release,
      `release ${m.scope} v${m.version}`,
    );

    const previous = readState(db);
    const scope = trust.scope ?? stored?.scope ?? previous?.scope;
    if (
      (scope !== undefined && scope !== null && m.scope !== scope) ||
      (previous && previous.scope !== m.scope)
    ) {
      throw new RegistryError(
        'wrong_scope',
        `release is for scope ${m.scope}, this terminal takes ${scope ?? previous?.scope}`,
      );
    }
    if (Date.parse(m.expires) <= now.getTime()) {
      throw new RegistryError('expired', `release ${m.scope} v${m.version} expired at ${m.expires}`);
    }
    const outcome = checkVersion(m, previous);
    if (outcome === 'same') {
      db.exec('ROLLBACK');
      inTransaction = false;
      return {
        ok: true,
        applied: false,
        kind: m.kind,
        state: stateOf(previous!),
        previous: stateOf(previous!),
      };
    }
    await checkBodyFile(bodyFile, m.body);

    const applier = m.kind === 'snapshot' ? new SnapshotApplier(db) : new DeltaApplier(db, previous!);
    if (applier instanceof SnapshotApplier) {
      for await (const chunk of readBodyChunks(bodyFile, m.body)) applier.chunk(chunk);
    } else {
      for await (const lines of readBodyLines(bodyFile, m.body)) for (const line of lines) applier.line(line);
    }
    const totals = applier instanceof SnapshotApplier ? applier.totals() : applier.finish();
    const expected = m.content;
    if (
      totals.hash !== expected.hash ||
      totals.units !== expected.units ||
      totals.products !== expected.products ||
      totals.batches !== expected.batches
    ) {
      throw new RegistryError(
        'hash_mismatch',
        `content after ${m.kind} v${m.version} is ${totals.hash} (${totals.units} units), the manifest signs ${expected.hash} (${expected.units} units)`,
      );
    }
    writeState(db, manifest, totals, now);
    writeTrust(db, root, m.scope, now);
    if (trust.dryRun) {
      const state = readState(db)!;
      db.exec('ROLLBACK');
      inTransaction = false;
      const result: ImportResult = { ok: true, applied: false, kind: m.kind, state: stateOf(state) };
      if (previous) result.previous = stateOf(previous);
      return result;
    }
    db.exec('COMMIT');
    inTransaction = false;
    if (trust.checkpoint !== 'none') checkpointConnection(db);
    const state = readState(db)!;
    const result: ImportResult = { ok: true, applied: true, kind: m.kind, state: stateOf(state) };
    if (previous) result.previous = stateOf(previous);
    return result;
  } catch (error) {
    if (db && inTransaction) db.exec('ROLLBACK');
    if (error instanceof RegistryError) return { ok: false, code: error.code, message: error.message };
    throw error;
  } finally {
    db?.close();
  }
}

function stateOf(s: RegistryState): RegistryState {
  return {
    scope: s.scope,
    version: s.version,
    asOf: s.asOf,
    expires: s.expires,
    units: s.units,
    contentHash: s.contentHash,
  };
}

function checkVersion(
  m: ReleaseManifest['signed'],
  previous: (RegistryState & ContentTotals) | undefined,
): 'apply' | 'same' {
  if (!previous) {
    if (m.kind === 'delta')
      throw new RegistryError('wrong_base', `delta onto v${m.baseVersion}, but no registry is installed`);
    return 'apply';
  }
  if (m.version < previous.version) {
    throw new RegistryError(
      'rollback',
      `release v${m.version} is older than the installed v${previous.version}`,
    );
  }
  if (m.version === previous.version) {
    if (m.content.hash === previous.hash) return 'same';
    throw new RegistryError(
      'version_conflict',
      `release v${m.version} has different content from the installed v${m.version}`,
    );
  }
  if (m.kind === 'delta' && m.baseVersion !== previous.version) {
    throw new RegistryError(
      'wrong_base',
      `delta applies onto v${m.baseVersion}, installed is v${previous.version}`,
    );
  }
  return 'apply';
}

function checkpointConnection(db: SqliteDatabase): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // A busy reader only delays the checkpoint; the data is committed either way.
  }
}

/** Copies the registry's WAL into the database file and truncates it (after `checkpoint: 'none'`). */
export function checkpointRegistry(store: RegistryStore | string): void {
  const db = openDatabase(typeof store === 'string' ? store : store.file);
  try {
    checkpointConnection(db);
  } finally {
    db.close();
  }
}
