import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_SCOPE, simRegistryCode, writeSimRegistry } from '../../../cli/upstream/simulate/sim-kiosk.js';
import { silentLogger } from '../../../terminal/logger.js';
import type { RootMetadata } from '../../../terminal/registry/root.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { registryStoreApplier } from '../../../terminal/sync/registry-applier.js';
import type { Upstream } from '../../../upstream/create-upstream.js';
import { type StartedUpstream, startUpstream } from '../../../upstream/start-upstream.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startTerminal, type TerminalHandle, terminalKeys, until } from '../sync/harness.js';

/**
 * Releases in the shared database (issue 20 item 1): two `veriterm upstream` workers on one
 * PostgreSQL database with data directories of their own, nothing shared on disk. The snapshot
 * is dropped into worker A's directory only; A adds it to the database and publishes the first
 * sold-unit delta. Then A stops: B, which never had a release file, takes the publisher lease,
 * builds the next signed delta onto a base copy caught up from the database, and is the only
 * worker a kiosk can fetch the registry from. The kiosk verifies every chunk and signature
 * against the pinned root and ends at the chain's version with both sales.
 */
const ready = hasSystemTool('mosquitto') && (await hasPostgres());
/** Small chunks, so the snapshot travels as several. */
const CHUNK_BYTES = 512;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!ready)('registry releases on PostgreSQL, served by a worker without the files', () => {
  const tmp = makeTempDir('vt-pg-releases-');
  const dataA = join(tmp.dir, 'worker-a');
  const dataB = join(tmp.dir, 'worker-b');
  const codes = Array.from({ length: 200 }, (_, k) => simRegistryCode(k));
  let broker: MosquittoBroker;
  let database: TestDatabase;
  let root: RootMetadata;
  let a: StartedUpstream<Upstream> | undefined;
  let b: StartedUpstream<Upstream> | undefined;
  const terminals: TerminalHandle[] = [];
  const start = (dataDir: string, clientId: string) =>
    startUpstream({
      dataDir,
      database: database.url,
      logger: silentLogger(),
      options: {
        brokerUrl: broker.url,
        protocol: '5',
        clientId,
        deltaDebounceMs: 20,
        chunkBytes: CHUNK_BYTES,
      },
    });

  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
    database = await createTestDatabase('vt_pg_releases');
    root = await writeSimRegistry(dataA, codes);
    // B signs deltas with the same release key (it publishes after A), but has no release file.
    cpSync(join(dataA, 'registry-keys'), join(dataB, 'registry-keys'), { recursive: true });
  });
  afterAll(async () => {
    for (const t of terminals) {
      await t.sync.stop();
      t.db.close();
    }
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('a kiosk fetching through the worker that never had the files gets the signed chain', async () => {
    a = await start(dataA, 'vt-upstream-a');
    expect(a.upstream.publishing()).toBe(true);
    b = await start(dataB, 'vt-upstream-b');
    expect(b.upstream.publishing()).toBe(false);
    const releases = b.upstream.storage.releases;
    expect((await releases.announcement(SIM_SCOPE))?.version).toBe(1);

    const sellerKeys = terminalKeys();
    await a.upstream.storage.ingest.enrol('s1', 'till', publicKeyPem(sellerKeys.publicKey));
    const seller = startTerminal(
      join(tmp.dir, 'till'),
      {
        brokerUrl: broker.url,
        storeId: 's1',
        terminalId: 'till',
        protocol: '5',
        drain: { pollIntervalMs: 50 },
      },
      { keys: sellerKeys },
    );
    terminals.push(seller);
    await seller.sync.start();
    const sell = (k: number) => {
      seller.ledger.append('write_off', { codeKey: codes[k]!, saleId: `sale-${k}`, line: 0 });
      seller.sync.kick();
    };
    // Published: the delta is in and the sale marked (a stop in between leaves the sale to the next
    // publisher, which publishes it again in its own delta).
    const published = async (version: number) =>
      (await releases.version(SIM_SCOPE)) === version &&
      (await b!.upstream.storage.ingest.unpublishedUnitEvents()).length === 0;
    sell(0);
    await until(() => published(2), 'A published delta 1→2', 30_000);

    // A goes away; B takes the lease and publishes the next sale onto a base from the database.
    await a.stop();
    a = undefined;
    await until(() => b!.upstream.publishing(), 'B publishes', 10_000);
    sell(1);
    await until(() => published(3), 'B published delta 2→3', 30_000);
    expect(existsSync(join(dataB, 'registry'))).toBe(false);

    const kioskDir = join(tmp.dir, 'kiosk');
    const kioskKeys = terminalKeys();
    await b.upstream.storage.ingest.enrol('s2', 'kiosk', publicKeyPem(kioskKeys.publicKey));
    const store = RegistryStore.open(join(tmp.dir, 'kiosk-registry.db'));
    const kiosk = startTerminal(
      kioskDir,
      {
        brokerUrl: broker.url,
        storeId: 's2',
        terminalId: 'kiosk',
        protocol: '5',
        registry: { scopes: [SIM_SCOPE], parallelChunks: 4, requestTimeoutMs: 5000 },
      },
      { keys: kioskKeys, registry: registryStoreApplier(store, { pinnedRoot: root }) },
    );
    terminals.push(kiosk);
    await kiosk.sync.start();
    await until(() => store.state()?.version === 3, 'the kiosk holds version 3', 30_000);
    expect(store.lookup(codes[0]!).unit).toMatchObject({ status: 'sold', soldAt: { store: 's1' } });
    expect(store.lookup(codes[1]!).unit).toMatchObject({ status: 'sold', soldAt: { store: 's1' } });
    expect(store.lookup(codes[2]!).unit?.status).toBe('active');
    store.close();

    // Every chunk came from B, and the snapshot it served is the file dropped into A's directory.
    const ann = (await releases.announcement(SIM_SCOPE))!;
    expect(ann.deltas.map((d) => d.id)).toEqual(['delta-1-2', 'delta-2-3']);
    const chunks = [ann.snapshot!, ...ann.deltas]
      .flatMap((r) => r.files)
      .reduce((n, f) => n + f.chunks.length, 0);
    expect(ann.snapshot!.files.some((f) => f.chunks.length > 1)).toBe(true);
    expect(b.upstream.publisher.chunkRequests).toBeGreaterThanOrEqual(chunks);
    const dropped = join(dataA, 'registry', SIM_SCOPE, 'snapshot-1');
    expect(ann.snapshot!.files.map((f) => [f.name, f.sha256])).toEqual(
      readdirSync(dropped)
        .sort()
        .map((name) => [name, sha(readFileSync(join(dropped, name)))]),
    );
  }, 120_000);
});
