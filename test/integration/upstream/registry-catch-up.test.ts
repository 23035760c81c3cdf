import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_SCOPE, simRegistryCode, writeSimRegistry } from '../../../cli/upstream/simulate/sim-kiosk.js';
import { silentLogger } from '../../../terminal/logger.js';
import { readSigningKey } from '../../../terminal/registry/keys.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import type { Announcement } from '../../../terminal/sync/protocol.js';
import { registryStoreApplier } from '../../../terminal/sync/registry-applier.js';
import { planUpdate, RegistryTransfer } from '../../../terminal/sync/registry-transfer.js';
import { RequestClient } from '../../../terminal/sync/request-client.js';
import type { UnitEvent } from '../../../upstream/ingest-store.js';
import { registryDeltaBuilder } from '../../../upstream/registry-delta-builder.js';
import { RegistryPublisher } from '../../../upstream/registry-publisher.js';
import { MAX_ANNOUNCED_DELTAS } from '../../../upstream/release-catalog.js';
import { FileReleaseStorage } from '../../../upstream/storage/sqlite/file-releases.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const SOLD = 1010;
const REPLY_TO = 'vt/store-9/kiosk-1/registry/res';

// A kiosk switched off while its scope took 1,010 versions: more than an announcement lists
// (MAX_ANNOUNCED_DELTAS), so no delta chain leads from its version. It must install the fresh
// snapshot the publisher issued and the deltas after it, through the real transfer and verified
// apply, and end with the publisher's content (docs/registry-format.md "Publishing sold units").
describe('a kiosk 1,000 versions behind', () => {
  const tmp = makeTempDir('vt-catch-up-');
  afterAll(() => tmp.cleanup());

  it('converges through the snapshot and the deltas after it', async () => {
    const upstreamDir = join(tmp.dir, 'upstream');
    const codes = Array.from({ length: SOLD }, (_, k) => simRegistryCode(k));
    const root = await writeSimRegistry(upstreamDir, codes);
    const releasesDir = join(upstreamDir, 'registry');
    const releases = new FileReleaseStorage(releasesDir, 4096);
    const catalog = releases.catalog;
    const events: UnitEvent[] = [];
    const published = new Set<number>();
    let latest: Announcement | undefined;
    let requests: RequestClient | undefined;
    const publisher = new RegistryPublisher(
      {
        releases,
        store: {
          unpublishedUnitEvents: async () => events.filter((e) => !published.has(e.id)),
          markPublished: async (ids) => {
            for (const id of ids) published.add(id);
          },
        },
        builder: registryDeltaBuilder({
          releases: new FileReleaseStorage(releasesDir),
          stateDir: upstreamDir,
          root,
          signingKeys: [readSigningKey(join(upstreamDir, 'registry-keys', 'release.key'))],
        }),
        logger: silentLogger(),
        publish: async (topic, payload) => {
          if (topic === REPLY_TO) requests?.onResponse(payload as Buffer);
          else latest = JSON.parse(String(payload)) as Announcement;
        },
      },
      { scopes: [SIM_SCOPE], deltaDebounceMs: 50, minDeltaIntervalMs: 0, publishRegistry: true },
    );
    requests = new RequestClient(async (payload) => {
      await publisher.answer(JSON.parse(payload.toString()), REPLY_TO, undefined);
    }, REPLY_TO);

    mkdirSync(join(tmp.dir, 'kiosk'));
    const kioskStore = RegistryStore.open(join(tmp.dir, 'kiosk', 'registry.db'));
    const transfer = new RegistryTransfer(
      {
        applier: registryStoreApplier(kioskStore, { pinnedRoot: root }),
        requests,
        stagingDir: join(tmp.dir, 'kiosk', 'staging'),
        logger: silentLogger(),
        isConnected: () => true,
      },
      SIM_SCOPE,
      { requestTimeoutMs: 10_000, parallelChunks: 4 },
    );
    const update = async (ann: Announcement) => {
      transfer.onAnnouncement(ann);
      await transfer.idle();
    };
    await update(catalog.announcement(SIM_SCOPE)!);
    expect(kioskStore.state()?.version).toBe(1);

    // The kiosk is off; every sale makes a version (no interval: the worst case for the chain).
    for (const [k, key] of codes.entries()) {
      events.push({
        id: k + 1,
        key,
        status: 'sold',
        storeId: 'store-1',
        terminalId: 'till-1',
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, k)).toISOString(),
      });
      await publisher.flush();
    }
    const ann = latest!;
    expect(ann.version).toBe(SOLD + 1);
    // Snapshots every 250 versions (the default); 1001 is the newest, deltas after it follow.
    expect(ann.snapshot?.version).toBe(1001);
    expect(ann.deltas.some((d) => d.from === 1)).toBe(false);
    expect(ann.deltas).toHaveLength(MAX_ANNOUNCED_DELTAS);
    // Releases no announcement lists are gone from disk: the oldest deltas and snapshots.
    expect(existsSync(join(releasesDir, SIM_SCOPE, 'delta-1-2'))).toBe(false);
    expect(existsSync(join(releasesDir, SIM_SCOPE, 'snapshot-1'))).toBe(false);
    expect(existsSync(join(releasesDir, SIM_SCOPE, 'snapshot-751'))).toBe(true);

    const plan = planUpdate(ann, 1)!;
    expect(plan.map((r) => r.id)).toEqual([
      'snapshot-1001',
      ...Array.from({ length: SOLD - 1000 }, (_, i) => `delta-${1001 + i}-${1002 + i}`),
    ]);
    // Within the announced chain a kiosk still takes only deltas.
    expect(planUpdate(ann, 700)?.[0]?.id).toBe('delta-700-701');

    await update(ann);
    expect(transfer.progress.state).toBe('done');
    const upstreamCopy = RegistryStore.open(join(upstreamDir, `${SIM_SCOPE}.registry.db`));
    expect(kioskStore.state()?.version).toBe(SOLD + 1);
    expect(kioskStore.state()?.contentHash).toBe(upstreamCopy.state()?.contentHash);
    for (const [k, key] of codes.entries()) {
      const unit = kioskStore.lookup(key).unit;
      expect(unit?.status).toBe('sold');
      expect(unit?.soldAt?.at).toBe(new Date(Date.UTC(2026, 0, 1, 0, 0, k)).toISOString());
    }
    upstreamCopy.close();
    kioskStore.close();
  }, 300_000);
});
