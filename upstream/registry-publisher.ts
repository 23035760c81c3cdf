import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../terminal/logger.js';
import { type Announcement, encodeFrame, registryRequestSchema } from '../terminal/sync/protocol.js';
import { registryTopics } from '../terminal/sync/topics.js';
import type { DeltaBuilder, UnitChange } from './delta-builder.js';
import type { UnitEvent } from './ingest-store.js';
import type { ReleaseCatalog } from './release-catalog.js';
import type { IngestStorage } from './storage/contract.js';

export interface PublisherDeps {
  catalog: ReleaseCatalog;
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
}

/**
 * The registry side of the upstream: announces every scope's releases (retained), answers chunk
 * requests, and turns ingested write-offs/returns into deltas so every terminal of the scope
 * learns within seconds that a unit was sold, where and when.
 */
export class RegistryPublisher {
  private readonly announced = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  chunkRequests = 0;

  constructor(
    private readonly deps: PublisherDeps,
    private readonly options: {
      scopes?: string[] | undefined;
      deltaDebounceMs: number;
      publishRegistry: boolean;
    },
  ) {}

  scopes(): string[] {
    return this.options.scopes ?? this.deps.catalog.scopes();
  }

  /** Publishes the retained announcement of every scope whose version changed (or all with `force`). */
  async announceAll(force = false): Promise<void> {
    for (const scope of this.scopes()) {
      const ann = this.deps.catalog.announcement(scope);
      if (!ann) continue;
      if (!force && this.announced.get(scope) === ann.version) continue;
      await this.announce(ann);
    }
  }

  current(scope: string): Announcement | undefined {
    return this.deps.catalog.announcement(scope);
  }

  private async announce(ann: Announcement): Promise<void> {
    await this.deps.publish(registryTopics(ann.scope).manifest, JSON.stringify(ann), {
      qos: 1,
      retain: true,
    });
    this.announced.set(ann.scope, ann.version);
    this.deps.logger.info({ scope: ann.scope, version: ann.version }, 'registry release announced');
  }

  /** Schedules a sold-units delta soon (write-offs just ingested). */
  schedule(): void {
    if (!this.options.publishRegistry || this.flushTimer) return;
    if (this.deps.isLeader && !this.deps.isLeader()) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch((error: unknown) =>
        this.deps.logger.error({ err: error }, 'sold-units delta failed'),
      );
    }, this.options.deltaDebounceMs);
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
    if (this.deps.isLeader && !this.deps.isLeader()) return;
    if (this.deps.confirmLeader && !(await this.deps.confirmLeader())) return;
    const events = await this.deps.store.unpublishedUnitEvents();
    if (events.length === 0) return;
    const changes = foldUnitEvents(events);
    let version = 0;
    for (const scope of this.scopes()) {
      const from = this.deps.catalog.announcement(scope)?.version ?? 0;
      const to = from + 1;
      const dir = this.deps.catalog.scopeDir(scope);
      const id = `delta-${from}-${to}`;
      const temp = join(dir, `.${id}.tmp`);
      rmSync(temp, { recursive: true, force: true });
      mkdirSync(temp);
      const built = await this.deps.builder.buildDelta({ scope, from, to, changes, dir: temp });
      if (built === 'empty') {
        rmSync(temp, { recursive: true, force: true });
        continue;
      }
      renameSync(temp, join(dir, id)); // appears whole or not at all
      version = Math.max(version, to);
      const ann = this.deps.catalog.announcement(scope);
      if (ann) await this.announce(ann);
    }
    await this.deps.store.markPublished(
      events.map((e) => e.id),
      version,
    );
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
      const ann = this.current(r.scope);
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
    const chunk = this.deps.catalog.chunk(r.scope, r.release, r.file, r.index);
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

/** The unit events a registry delta carries; the rest is stock at one store. */
const PUBLISHED: ReadonlySet<string> = new Set(['sold', 'active', 'destroyed', 'returned_to_supplier']);

/**
 * The unit events of one delta, oldest first, folded into one change per unit. A destruction is
 * final; otherwise later events win (a sale then a return leaves the unit active; a return then a
 * resale leaves it sold), except that a return undoes only a sale at its own store (DOMAIN.md: a
 * return is taken where the unit was sold): a return that meets a sale elsewhere in the same delta
 * is dropped, and one with no earlier event here carries its store (`returnedAt`) so the builder
 * checks it against the registry's own `soldAt`.
 */
export function foldUnitEvents(events: readonly UnitEvent[]): UnitChange[] {
  const latest = new Map<string, UnitChange>();
  for (const e of events) {
    // Stock at one store (checked in, transferred between stores, lost or found at a stocktake)
    // changes nothing the registry publishes.
    if (!PUBLISHED.has(e.status)) continue;
    const before = latest.get(e.key);
    // Destroyed is terminal (DOMAIN.md): nothing later in the same delta undoes it.
    if (before?.status === 'destroyed') continue;
    if (e.status === 'destroyed' || e.status === 'returned_to_supplier') {
      latest.set(e.key, {
        key: e.key,
        status: e.status,
        leftAt: { store: e.storeId, at: e.at, terminal: e.terminalId },
      });
      continue;
    }
    if (e.status === 'sold') {
      latest.set(e.key, {
        key: e.key,
        status: 'sold',
        soldAt: { store: e.storeId, at: e.at, terminal: e.terminalId },
      });
      continue;
    }
    if (before && (before.status !== 'sold' || before.soldAt?.store !== e.storeId)) continue;
    latest.set(e.key, {
      key: e.key,
      status: 'active',
      returnedAt: { store: e.storeId, at: e.at, terminal: e.terminalId },
    });
  }
  return [...latest.values()];
}
