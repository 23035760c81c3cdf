import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../terminal/logger.js';
import { type Announcement, encodeFrame, registryRequestSchema } from '../terminal/sync/protocol.js';
import { registryTopics } from '../terminal/sync/topics.js';
import type { DeltaBuilder, UnitChange } from './delta-builder.js';
import { foldUnitEvents } from './fold-unit-events.js';
import { MAX_ANNOUNCED_DELTAS } from './release-catalog.js';
import { parseReleaseId } from './release-inbox.js';
import type { IngestStorage, ReleaseStorage } from './storage/contract.js';
import { readReleaseDir } from './storage/release-files.js';

// Callers and tests import the fold from here, where it was first.
export { foldUnitEvents } from './fold-unit-events.js';

/** Time and timers, injected so tests drive the delta interval without waiting. */
export interface PublisherClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PublisherClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PublisherDeps {
  /** Where releases are announced from and added to (storage/contract.ts ReleaseStorage). */
  releases: ReleaseStorage;
  store: Pick<IngestStorage, 'unpublishedUnitEvents' | 'markPublished'>;
  /**
   * Whether this worker holds the publisher lease (storage/contract.ts PublisherLease): only the
   * holder turns unit events into deltas. @default always
   */
  isLeader?: () => boolean;
  /** Asks the database that this worker still holds the lease, just before a delta is built. @default isLeader */
  confirmLeader?: () => Promise<boolean>;
  builder: DeltaBuilder;
  logger: Logger;
  publish: (
    topic: string,
    payload: Buffer | string,
    opts: { qos: 1; retain?: boolean; correlation?: Buffer },
  ) => Promise<void>;
  /** @default Date.now and the global timers */
  clock?: PublisherClock;
}

export interface PublisherOptions {
  scopes?: string[] | undefined;
  deltaDebounceMs: number;
  /** Least time between two versions of one scope (options.ts). @default 0 */
  minDeltaIntervalMs?: number;
  /** A fresh snapshot after this many deltas since the scope's last one (options.ts). @default 250 */
  snapshotEveryDeltas?: number;
  publishRegistry: boolean;
}

/**
 * How long stop() waits for a flush in progress: a delta and, every few hundred versions, a
 * snapshot (~5 µs of CPU per unit, docs/scaling.md); past it the sales stay for the next publisher.
 */
const STOP_WAIT_MS = 30_000;

/** Unit events read per flush; a full read schedules the next flush at once. */
const EVENTS_PER_FLUSH = 50_000;

/**
 * The registry side of the upstream: announces every scope's releases (retained), answers chunk
 * requests, and turns ingested write-offs/returns into deltas so every terminal of the scope
 * learns within seconds that a unit was sold, where and when.
 *
 * Pacing: a flush comes `deltaDebounceMs` after the first unit event, and a scope gets at most one
 * version per `minDeltaIntervalMs`; a scope that is not due yet leaves its events unpublished and
 * takes them all in its next delta. Events are marked published once every scope has taken them
 * (kept in memory per scope until then: a restarted or new leader publishes them again, which
 * ends in the same state). Every `snapshotEveryDeltas` versions the scope also gets a snapshot, so
 * a terminal behind the announced deltas has the snapshot and the deltas after it to go by.
 */
export class RegistryPublisher {
  private readonly announced = new Map<string, number>();
  private readonly clock: PublisherClock;
  private flushTimer: unknown;
  /** When the armed flush fires (clock ms). */
  private flushAt = Number.POSITIVE_INFINITY;
  private flushing: Promise<void> | undefined;
  /** The scopes as the release storage last listed them. */
  private knownScopes: string[] = [];
  private stopped = false;
  /** Scope → when its last delta version was built (clock ms). */
  private readonly lastVersionAt = new Map<string, number>();
  /** Scope → ids of unpublished events already in its deltas (or about none of its units). */
  private readonly taken = new Map<string, Set<number>>();
  /** Highest version this publisher built: what the events it marks are published by. */
  private lastVersion = 0;
  chunkRequests = 0;
  /** Delta versions and snapshots built since start (status, simulator). */
  readonly built = { deltas: 0, snapshots: 0 };

  constructor(
    private readonly deps: PublisherDeps,
    private readonly options: PublisherOptions,
  ) {
    this.clock = deps.clock ?? realClock;
  }

  async scopes(): Promise<string[]> {
    this.knownScopes = this.options.scopes ?? (await this.deps.releases.scopes());
    return this.knownScopes;
  }

  /** Publishes the retained announcement of every scope whose version changed (or all with `force`). */
  async announceAll(force = false): Promise<void> {
    for (const scope of await this.scopes()) {
      const ann = await this.deps.releases.announcement(scope);
      if (!ann) continue;
      if (!force && this.announced.get(scope) === ann.version) continue;
      await this.announce(ann);
    }
  }

  current(scope: string): Promise<Announcement | undefined> {
    return this.deps.releases.announcement(scope);
  }

  private async announce(ann: Announcement): Promise<void> {
    await this.deps.publish(registryTopics(ann.scope).manifest, JSON.stringify(ann), {
      qos: 1,
      retain: true,
    });
    this.announced.set(ann.scope, ann.version);
    this.deps.logger.info({ scope: ann.scope, version: ann.version }, 'registry release announced');
  }

  /**
   * Schedules a sold-units delta (write-offs just ingested): after `deltaDebounceMs` when some
   * scope may take a version by then, else when the first scope is due again.
   */
  schedule(): void {
    if (!this.options.publishRegistry || this.stopped) return;
    if (this.deps.isLeader && !this.deps.isLeader()) return;
    const now = this.clock.now();
    const debounced = now + this.options.deltaDebounceMs;
    // As last read (schedule() is synchronous): flushOnce reads them afresh.
    const scopes = this.knownScopes;
    const firstDue = scopes.length === 0 ? debounced : Math.min(...scopes.map((s) => this.dueAt(s)));
    this.arm(Math.max(debounced, firstDue));
  }

  /**
   * Cancels a pending flush and waits, at most `maxWaitMs`, for the one in progress: stopped between
   * adding a delta and marking its sales published, it left them for the next publisher, which
   * built them into a second delta. Later `schedule()` calls do nothing (the unit events stay
   * unpublished). Resolves, never rejects (a failed flush is logged where it runs).
   */
  async stop(maxWaitMs = STOP_WAIT_MS): Promise<void> {
    this.stopped = true;
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushAt = Number.POSITIVE_INFINITY;
    if (!this.flushing) return;
    let timer: unknown;
    const late = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, maxWaitMs);
    });
    await Promise.race([this.idle().catch(() => undefined), late]);
    this.clock.clearTimeout(timer);
  }

  /** When `scope` may take its next version (clock ms). */
  private dueAt(scope: string): number {
    const last = this.lastVersionAt.get(scope);
    return last === undefined ? Number.NEGATIVE_INFINITY : last + (this.options.minDeltaIntervalMs ?? 0);
  }

  /** Arms the flush timer for `at`, unless one fires sooner already. */
  private arm(at: number): void {
    if (this.stopped || (this.flushTimer !== undefined && this.flushAt <= at)) return;
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    this.flushAt = at;
    this.flushTimer = this.clock.setTimeout(
      () => {
        this.flushTimer = undefined;
        this.flushAt = Number.POSITIVE_INFINITY;
        this.flush().catch((error: unknown) =>
          this.deps.logger.error({ err: error }, 'sold-units delta failed'),
        );
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Resolves when no flush is running (tests, status); an armed timer does not count. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async flushOnce(): Promise<void> {
    // A worker that lost the lease meanwhile leaves the events to the new holder.
    if (
      (this.deps.isLeader && !this.deps.isLeader()) ||
      (this.deps.confirmLeader && !(await this.deps.confirmLeader()))
    ) {
      this.taken.clear();
      return;
    }
    const events = await this.deps.store.unpublishedUnitEvents(EVENTS_PER_FLUSH);
    if (events.length === 0) {
      this.taken.clear();
      return;
    }
    const now = this.clock.now();
    const scopes = await this.scopes();
    let waitUntil = Number.POSITIVE_INFINITY;
    let took = false;
    for (const scope of scopes) {
      const taken = this.taken.get(scope) ?? new Set<number>();
      this.taken.set(scope, taken);
      const fresh = events.filter((e) => !taken.has(e.id));
      if (fresh.length === 0) continue;
      const due = this.dueAt(scope);
      if (due > now) {
        waitUntil = Math.min(waitUntil, due);
        continue;
      }
      if (await this.buildVersion(scope, foldUnitEvents(fresh))) this.lastVersionAt.set(scope, now);
      for (const e of fresh) taken.add(e.id);
      took = true;
    }
    // Events every scope has taken are done; the others wait for the scopes not due yet.
    const done = events.filter((e) => scopes.every((s) => this.taken.get(s)?.has(e.id)));
    if (done.length > 0) {
      await this.deps.store.markPublished(
        done.map((e) => e.id),
        this.lastVersion,
      );
      for (const set of this.taken.values()) for (const e of done) set.delete(e.id);
    }
    if (waitUntil < Number.POSITIVE_INFINITY) this.arm(waitUntil);
    // A full page: more events wait behind it. Read on at once only if this flush got somewhere;
    // a page that only scopes not yet due still hold is read again when the first is due.
    if (events.length === EVENTS_PER_FLUSH && took) this.arm(this.clock.now());
  }

  /** Builds, stores and announces the scope's next delta; false when no change is about its units. */
  private async buildVersion(scope: string, changes: UnitChange[]): Promise<boolean> {
    const before = await this.deps.releases.announcement(scope);
    const from = before?.version ?? 0;
    const to = from + 1;
    const built = await this.writeRelease(scope, `delta-${from}-${to}`, (dir) =>
      this.deps.builder.buildDelta({ scope, from, to, changes, dir }),
    );
    if (!built) return false;
    this.built.deltas++;
    this.lastVersion = Math.max(this.lastVersion, to);
    const since = to - (before?.snapshot?.version ?? 0);
    const every = this.options.snapshotEveryDeltas ?? MAX_ANNOUNCED_DELTAS / 2;
    const { builder } = this.deps;
    if (builder.buildSnapshot && since >= every) {
      // Built inline: the scope's next delta waits for it (~5 µs of CPU per unit, docs/scaling.md).
      // A failure leaves the delta published and is tried again with the next version; the
      // slack between snapshotEveryDeltas and the 500 announced deltas covers a few of them.
      try {
        await this.writeRelease(scope, `snapshot-${to}`, async (dir) => {
          await builder.buildSnapshot?.({ scope, version: to, dir });
          return undefined;
        });
        this.built.snapshots++;
        await this.retire(scope, to);
      } catch (error) {
        this.deps.logger.error({ err: error, scope, version: to }, 'registry snapshot failed');
      }
    }
    const ann = await this.deps.releases.announcement(scope);
    if (ann) await this.announce(ann);
    return true;
  }

  /**
   * Writes one release into a scratch directory, then adds it to the release storage: it appears
   * whole or not at all. Another publisher that added the version first makes this reject
   * (ReleaseConflictError) and the events stay unpublished for the holder of the lease.
   */
  private async writeRelease(
    scope: string,
    id: string,
    write: (dir: string) => Promise<undefined | 'empty'> | undefined | 'empty',
  ): Promise<boolean> {
    const release = parseReleaseId(id);
    if (!release) throw new Error(`not a release id: ${id}`);
    const temp = mkdtempSync(join(tmpdir(), `vt-${id}-`));
    try {
      if ((await write(temp)) === 'empty') return false;
      await this.deps.releases.add(scope, release, readReleaseDir(temp));
      return true;
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }

  /**
   * After a snapshot at `version`: deletes the deltas no announcement lists any more and the
   * snapshots before the previous one (kept for terminals still fetching it). A snapshot is the
   * whole scope; one every few minutes kept forever would fill the disk.
   */
  private async retire(scope: string, version: number): Promise<void> {
    const ids = await this.deps.releases.list(scope);
    const snapshots = ids
      .map((id) => /^snapshot-(\d+)$/.exec(id))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ id: m[0], version: Number(m[1]) }))
      .sort((a, b) => b.version - a.version);
    for (const old of snapshots.slice(2)) await this.deps.releases.remove(scope, old.id);
    for (const id of ids) {
      const m = /^delta-\d+-(\d+)$/.exec(id);
      if (m && Number(m[1]) <= version - MAX_ANNOUNCED_DELTAS) await this.deps.releases.remove(scope, id);
    }
  }

  /** Answers one registry request from a terminal; `replyTo` must be that terminal's response topic. */
  async answer(body: unknown, replyTo: string, correlation: Buffer | undefined): Promise<void> {
    const req = registryRequestSchema.safeParse(body);
    if (!req.success) {
      this.deps.logger.warn({ replyTo }, 'malformed registry request');
      return;
    }
    const r = req.data;
    const opts = { qos: 1 as const, ...(correlation ? { correlation } : {}) };
    if (r.op === 'announcement') {
      const ann = await this.current(r.scope);
      const frame = ann
        ? encodeFrame({ correlation: r.correlation, status: 'ok' }, Buffer.from(JSON.stringify(ann)))
        : encodeFrame({
            correlation: r.correlation,
            status: 'error',
            error: { code: 'unknown_scope', message: r.scope },
          });
      await this.deps.publish(replyTo, frame, opts);
      return;
    }
    this.chunkRequests++;
    let chunk: Buffer | undefined;
    try {
      chunk = await this.deps.releases.chunk(r.scope, r.release, r.file, r.index);
    } catch {
      // Retired by the lease holder after this worker described it: gone, as for a bad name.
      chunk = undefined;
    }
    const frame = chunk
      ? encodeFrame({ correlation: r.correlation, status: 'ok' }, chunk)
      : encodeFrame({
          correlation: r.correlation,
          status: 'error',
          error: { code: 'not_found', message: `${r.release}/${r.file}#${r.index}` },
        });
    await this.deps.publish(replyTo, frame, opts);
  }
}
