import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../terminal/logger.js';
import { decodeFrame } from '../../../terminal/sync/protocol.js';
import type { DeltaBuilder, UnitChange } from '../../../upstream/delta-builder.js';
import type { UnitEvent } from '../../../upstream/ingest-store.js';
import { type PublisherClock, RegistryPublisher } from '../../../upstream/registry-publisher.js';
import type { ReleaseCatalog } from '../../../upstream/release-catalog.js';
import { FileReleaseStorage } from '../../../upstream/storage/sqlite/file-releases.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Timers that fire only when the test moves the clock. */
class FakeClock implements PublisherClock {
  ms = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.ms;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.ms + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves to `to`, firing every timer due on the way in order (each flush awaited when `publisher` is given). */
  async advanceTo(to: number, publisher?: RegistryPublisher): Promise<void> {
    for (let fired = 0; ; fired++) {
      // A publisher that re-arms at the same instant for ever would hang the test instead.
      if (fired > 1000) throw new Error(`timers keep firing at ${this.ms} ms`);
      const next = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = next.at;
      next.fn();
      await publisher?.idle();
    }
    this.ms = to;
  }
  pending(): number[] {
    return this.timers.map((t) => t.at);
  }
}

/** Unit events in memory, as IngestStore keeps them. */
class FakeEvents {
  events: (UnitEvent & { version?: number })[] = [];
  private nextId = 1;
  add(key: string, clock: FakeClock): void {
    this.events.push({
      id: this.nextId++,
      key,
      status: 'sold',
      storeId: 'store-1',
      terminalId: 't1',
      at: new Date(clock.ms).toISOString(),
    });
  }
  async unpublishedUnitEvents(limit = 50_000): Promise<UnitEvent[]> {
    return this.events.filter((e) => e.version === undefined).slice(0, limit);
  }
  async markPublished(ids: readonly number[], version: number): Promise<void> {
    const marked = new Set(ids);
    for (const e of this.events) if (marked.has(e.id)) e.version = version;
  }
  unpublished(): string[] {
    return this.events.filter((e) => e.version === undefined).map((e) => e.key);
  }
}

/** A builder that writes one file per release; units of scope `s` are keys starting with `s:`. */
function fakeBuilder(calls: { scope: string; to: number; keys: string[] }[]): DeltaBuilder {
  return {
    buildDelta({ scope, to, changes, dir }) {
      const mine = changes.filter((c: UnitChange) => c.key.startsWith(`${scope}:`));
      if (mine.length === 0) return 'empty';
      calls.push({ scope, to, keys: mine.map((c) => c.key) });
      writeFileSync(join(dir, 'delta.json'), JSON.stringify(mine));
      return undefined;
    },
    async buildSnapshot({ version, dir }) {
      writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ version }));
    },
  };
}

describe('registry publisher pacing (injected clock)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let clock: FakeClock;
  let events: FakeEvents;
  let calls: { scope: string; to: number; keys: string[] }[];
  let catalog: ReleaseCatalog;
  let releases: FileReleaseStorage;

  const publisherFor = ({
    builder,
    ...options
  }: {
    scopes: string[];
    minDeltaIntervalMs: number;
    snapshotEveryDeltas?: number;
    builder?: DeltaBuilder;
  }) =>
    new RegistryPublisher(
      {
        releases,
        store: events,
        builder: builder ?? fakeBuilder(calls),
        logger: silentLogger(),
        publish: async () => undefined,
        clock,
      },
      { deltaDebounceMs: 50, publishRegistry: true, ...options },
    );
  const sell = (p: RegistryPublisher, key: string) => {
    events.add(key, clock);
    p.schedule();
  };

  beforeEach(() => {
    tmp = makeTempDir('vt-delta-pacing-');
    for (const scope of ['a', 'b']) {
      mkdirSync(join(tmp.dir, scope, 'snapshot-1'), { recursive: true });
      writeFileSync(join(tmp.dir, scope, 'snapshot-1', 'snapshot.json'), '{}');
    }
    releases = new FileReleaseStorage(tmp.dir);
    catalog = releases.catalog;
    clock = new FakeClock();
    events = new FakeEvents();
    calls = [];
  });
  afterEach(() => tmp.cleanup());

  it('coalesces sales under load into one version per interval; the first after a quiet spell goes out after the debounce', async () => {
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 1000 });
    sell(p, 'a:1');
    await clock.advanceTo(50, p);
    expect(calls).toEqual([{ scope: 'a', to: 2, keys: ['a:1'] }]);

    // A busy spell: 20 sales within the interval wait for the scope's next version.
    for (let i = 2; i <= 21; i++) {
      await clock.advanceTo(50 + 45 * i, p);
      sell(p, `a:${i}`);
    }
    await clock.advanceTo(1049, p);
    expect(calls).toHaveLength(1);
    expect(events.unpublished()).toHaveLength(20);
    await clock.advanceTo(1050, p);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({ scope: 'a', to: 3, keys: Array.from({ length: 20 }, (_, i) => `a:${i + 2}`) });
    expect(events.unpublished()).toEqual([]);
    expect(events.events.every((e) => e.version !== undefined)).toBe(true);

    // Quiet, then one sale: out after the debounce, not after a full interval.
    await clock.advanceTo(5000, p);
    sell(p, 'a:22');
    await clock.advanceTo(5050, p);
    expect(calls.at(-1)).toEqual({ scope: 'a', to: 4, keys: ['a:22'] });
    expect(catalog.announcement('a')!.version).toBe(4);
  });

  it('with no interval makes a version per flush, as before', async () => {
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 0 });
    for (let i = 1; i <= 5; i++) {
      sell(p, `a:${i}`);
      await clock.advanceTo(clock.ms + 50, p);
    }
    expect(calls.map((c) => c.to)).toEqual([2, 3, 4, 5, 6]);
  });

  it('paces each scope by itself: a quiet scope is not held back by a busy one', async () => {
    const p = publisherFor({ scopes: ['a', 'b'], minDeltaIntervalMs: 1000 });
    sell(p, 'a:1');
    await clock.advanceTo(50, p);
    sell(p, 'a:2'); // scope a is not due before 1050
    await clock.advanceTo(200, p);
    sell(p, 'b:1');
    await clock.advanceTo(250, p);
    expect(calls).toEqual([
      { scope: 'a', to: 2, keys: ['a:1'] },
      { scope: 'b', to: 2, keys: ['b:1'] },
    ]);
    // a has not taken a:2 and b:1 yet: they stay unpublished until it has.
    expect(events.unpublished()).toEqual(['a:2', 'b:1']);
    expect(clock.pending()).toEqual([1050]);
    await clock.advanceTo(1050, p);
    expect(calls.at(-1)).toEqual({ scope: 'a', to: 3, keys: ['a:2'] });
    expect(events.unpublished()).toEqual([]);
  });

  it('does not spin on a full page of events that only a scope not yet due still holds', async () => {
    const p = publisherFor({ scopes: ['a', 'b'], minDeltaIntervalMs: 1000 });
    sell(p, 'a:0');
    await clock.advanceTo(50, p);
    for (let i = 1; i <= 50_000; i++) events.add(`a:${i}`, clock);
    p.schedule();
    await clock.advanceTo(1000, p);
    // b took the page (none of its units), a waits for 1050: one timer, no busy loop.
    expect(calls).toHaveLength(1);
    expect(clock.pending()).toEqual([1050]);
    await clock.advanceTo(1050, p);
    expect(calls.at(-1)?.keys).toHaveLength(50_000);
    expect(events.unpublished()).toEqual([]);
  });

  it('issues a snapshot every snapshotEveryDeltas versions and keeps only the two newest', async () => {
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 0, snapshotEveryDeltas: 3 });
    for (let i = 1; i <= 9; i++) {
      sell(p, `a:${i}`);
      await clock.advanceTo(clock.ms + 50, p);
    }
    const ann = catalog.announcement('a')!;
    expect(ann.version).toBe(10);
    expect(ann.snapshot?.id).toBe('snapshot-10');
    expect(p.built).toEqual({ deltas: 9, snapshots: 3 });
    expect(existsSync(join(tmp.dir, 'a', 'snapshot-7'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'a', 'snapshot-4'))).toBe(false);
    expect(existsSync(join(tmp.dir, 'a', 'snapshot-1'))).toBe(false);
  });

  it('a failed snapshot leaves the delta published and is tried again with the next version', async () => {
    const builder = fakeBuilder(calls);
    const real = builder.buildSnapshot!;
    let failures = 1;
    builder.buildSnapshot = async (input) => {
      if (failures-- > 0) throw new Error('disk full');
      await real(input);
    };
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 0, snapshotEveryDeltas: 2, builder });
    for (let i = 1; i <= 3; i++) {
      sell(p, `a:${i}`);
      await clock.advanceTo(clock.ms + 50, p);
    }
    const ann = catalog.announcement('a')!;
    expect(ann.version).toBe(4);
    expect(ann.snapshot?.id).toBe('snapshot-4');
    expect(existsSync(join(tmp.dir, 'a', '.snapshot-3.tmp'))).toBe(false);
    expect(events.unpublished()).toEqual([]);
  });

  it('answers not_found for a chunk of a release another worker retired after this one described it', async () => {
    const replies: Buffer[] = [];
    const p = new RegistryPublisher(
      {
        releases,
        store: events,
        builder: fakeBuilder(calls),
        logger: silentLogger(),
        publish: async (_topic, payload) => {
          replies.push(payload as Buffer);
        },
        clock,
      },
      { scopes: ['a'], deltaDebounceMs: 50, publishRegistry: true },
    );
    const request = { v: 1, op: 'chunk', scope: 'a', release: 'snapshot-1', file: 'snapshot.json', index: 0 };
    await p.answer({ ...request, correlation: 'c1', replyTo: 'r' }, 'r', undefined);
    expect(decodeFrame(replies[0]!).header.status).toBe('ok');
    rmSync(join(tmp.dir, 'a', 'snapshot-1'), { recursive: true });
    await p.answer({ ...request, correlation: 'c2', replyTo: 'r' }, 'r', undefined);
    expect(decodeFrame(replies[1]!).header).toMatchObject({ status: 'error', error: { code: 'not_found' } });
  });

  it('after stop() arms nothing and leaves the events for the next start', async () => {
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 1000 });
    sell(p, 'a:1');
    await p.stop();
    sell(p, 'a:2');
    expect(clock.pending()).toEqual([]);
    expect(events.unpublished()).toEqual(['a:1', 'a:2']);
  });

  /** Holds markPublished (after the delta was added) until `release()`; `entered` resolves when it is reached. */
  const holdMarking = () => {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const entered = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const mark = events.markPublished.bind(events);
    events.markPublished = async (ids, version) => {
      reached();
      await gate;
      await mark(ids, version);
    };
    return { release, entered };
  };

  it('stop() waits for the delta being published to mark its sales: the next publisher builds no duplicate', async () => {
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 0 });
    events.add('a:1', clock);
    const marking = holdMarking();
    const flushing = p.flush();
    await marking.entered;
    expect(calls).toEqual([{ scope: 'a', to: 2, keys: ['a:1'] }]);

    let stopped = false;
    const stopping = p.stop().then(() => {
      stopped = true;
    });
    // Everything already settled has run by the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    marking.release();
    await stopping;
    await flushing;
    expect(events.unpublished()).toEqual([]);

    // The next publisher (a restart, or another worker taking the lease) finds nothing to build.
    const next = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 0 });
    await next.flush();
    expect(calls).toHaveLength(1);
    expect(catalog.announcement('a')!.version).toBe(2);
  });

  it('stop() waits for a stuck flush only so long, then leaves its sales for the next publisher', async () => {
    const p = publisherFor({ scopes: ['a'], minDeltaIntervalMs: 0 });
    events.add('a:1', clock);
    const marking = holdMarking();
    const flushing = p.flush();
    await marking.entered;
    let stopped = false;
    const stopping = p.stop(5000).then(() => {
      stopped = true;
    });
    await clock.advanceTo(4999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    await clock.advanceTo(5000);
    await stopping;
    expect(events.unpublished()).toEqual(['a:1']);
    marking.release();
    await flushing;
  });
});
