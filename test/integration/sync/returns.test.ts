import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import { CheckoutService } from '../../../terminal/lanes/checkout.js';
import { ReturnsService } from '../../../terminal/lanes/returns.js';
import { createDemoRegistry, type DemoRegistry } from '../../../terminal/registry/demo.js';
import { readSigningKey } from '../../../terminal/registry/keys.js';
import { parseManifest } from '../../../terminal/registry/manifest.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { registryStoreApplier } from '../../../terminal/sync/registry-applier.js';
import { QueryLog, Verifier } from '../../../terminal/verify/index.js';
import { UNDECODABLE_RECORD } from '../../../upstream/ingest-store.js';
import { registryDeltaBuilder } from '../../../upstream/registry-delta-builder.js';
import { FileReleaseStorage } from '../../../upstream/storage/sqlite/file-releases.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import {
  publicKeyPem,
  startTerminal,
  startUpstreamFor,
  type TerminalHandle,
  terminalKeys,
  until,
} from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const SCOPE = 'demo';

/** A store's terminal: sync, the signed registry copy, and the real checkout, returns and verifier. */
type Store = TerminalHandle & {
  storeId: string;
  registry: RegistryStore;
  verifier: Verifier;
  checkout: CheckoutService;
  returns: ReturnsService;
  proxy: TcpProxy;
};

/**
 * Issue 16: a return makes a unit sellable again, at the store at once and everywhere after sync.
 * Two stores' terminals and the reference upstream (with the registry's own signed deltas) on a
 * spawned mosquitto; each store sells, returns and verifies with the real services.
 */
describe.skipIf(!hasSystemTool('mosquitto'))('a return makes a unit sellable again across sync', () => {
  const tmp = makeTempDir('vt-sync-returns-');
  let broker: MosquittoBroker;
  let demo: DemoRegistry;
  let up: ReturnType<typeof startUpstreamFor>;
  let a: Store;
  let b: Store;

  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
    demo = await createDemoRegistry(join(tmp.dir, 'authoring'), { scope: SCOPE });
    const version = parseManifest(readFileSync(demo.manifestFile, 'utf8')).signed.version;
    const snapDir = join(tmp.dir, 'up', 'registry', SCOPE, `snapshot-${version}`);
    mkdirSync(snapDir, { recursive: true });
    for (const f of [demo.manifestFile, demo.manifestFile.replace('.manifest.json', '.body.z')]) {
      copyFileSync(f, join(snapDir, basename(f)));
    }
    up = startUpstreamFor(
      join(tmp.dir, 'up'),
      { brokerUrl: broker.url, deltaDebounceMs: 20 },
      {
        deltaBuilder: registryDeltaBuilder({
          releases: new FileReleaseStorage(join(tmp.dir, 'up', 'registry')),
          stateDir: join(tmp.dir, 'up'),
          root: demo.root,
          signingKeys: [readSigningKey(join(demo.dir, 'release.key'))],
        }),
      },
    );
    const open = async (storeId: string): Promise<Store> => {
      const keys = terminalKeys();
      up.upstream.store.enrol(storeId, 't1', publicKeyPem(keys.publicKey));
      const proxy = await startTcpProxy(broker.port);
      const dir = join(tmp.dir, storeId);
      mkdirSync(dir, { recursive: true });
      const registry = RegistryStore.open(join(dir, 'registry.db'));
      const handle = startTerminal(
        dir,
        {
          brokerUrl: proxy.url,
          storeId,
          terminalId: 't1',
          reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
          registry: { scopes: [SCOPE], requestTimeoutMs: 2000 },
          drain: { pollIntervalMs: 50 },
        },
        { keys, registry: registryStoreApplier(registry, { pinnedRoot: demo.root }) },
      );
      const verifier = new Verifier({
        parse: (input, options) => parseCode(input, options),
        productKeyOf,
        registry,
        ledger: handle.ledger,
        queryLog: new QueryLog(handle.db),
        config: {
          maxRegistryAgeMs: 30 * 86_400_000,
          expiredPolicy: 'block',
          unverifiablePolicy: 'block',
          timeZone: 'UTC',
        },
      });
      const deps = { ledger: handle.ledger, verifier };
      return {
        ...handle,
        storeId,
        registry,
        verifier,
        checkout: new CheckoutService(deps),
        returns: new ReturnsService(deps),
        proxy,
      };
    };
    a = await open('store-a');
    b = await open('store-b');
    await up.upstream.start();
    await a.sync.start();
    await b.sync.start();
    await until(() => a.registry.state()?.version === version, 'snapshot applied at A');
    await until(() => b.registry.state()?.version === version, 'snapshot applied at B');
  });
  afterAll(async () => {
    for (const s of [a, b]) {
      await s?.sync.stop();
      await s?.proxy.close();
    }
    await up?.upstream.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  const kiosk = (s: Store, scan: string) => s.verifier.verify(scan, { source: 'kiosk' });
  const alerts = (s: Store) => s.ledger.records(0, 10_000).filter((r) => r.type === 'alert');
  /** Every record of the store's ledger is stored upstream (and every delta it caused built). */
  const synced = async (s: Store) => {
    await until(
      () => up.upstream.store.lastSeq(s.storeId, 't1') === s.ledger.headSeq(),
      `${s.storeId}'s records ingested`,
    );
    await until(() => up.upstream.store.unpublishedUnitEvents().length === 0, 'unit events published');
  };
  const sell = (s: Store, scan: string) => {
    const outcome = s.checkout.completeSale({ lines: [{ data: scan }], cashier: 'c1' });
    if (!outcome.ok) throw new Error(`${s.storeId} could not sell: ${outcome.message}`);
    return s.ledger.recordAt(outcome.sale.writeOffs[0]!.seq)!;
  };
  const giveBack = (s: Store, scan: string) => {
    const outcome = s.returns.processReturn({
      approvedBy: 'mgr-1',
      reason: 'unopened',
      lines: [{ data: scan }],
    });
    if (!outcome.ok) throw new Error(`${s.storeId} could not take back: ${outcome.message}`);
    return outcome.return;
  };
  const genuine = (i: number) => demo.codes.filter((c) => c.expect === 'genuine')[i]!;

  it('sold at A → sync → returned at A: A says genuine at once and resells; B then sees the resale', async () => {
    // The issue's own code: 69012340000000012345.
    const unit = genuine(0);
    expect(unit.key).toBe('69012340000000012345');
    expect(kiosk(a, unit.scan)).toMatchObject({ verdict: 'genuine' });
    const first = sell(a, unit.scan);
    await synced(a);
    await until(() => b.registry.lookup(unit.key).unit?.status === 'sold', 'B learns the sale');
    await until(() => a.registry.lookup(unit.key).unit?.status === 'sold', 'A learns its own sale');
    expect(kiosk(b, unit.scan)).toMatchObject({
      verdict: 'already_sold',
      sold: { where: 'upstream', storeId: 'store-a', at: first.at },
    });

    // A's link is down: only its own ledger knows of the return.
    a.proxy.cut();
    await until(() => a.sync.status().link === 'down', 'A offline');
    const ret = giveBack(a, unit.scan);
    expect(ret.lines).toEqual([expect.objectContaining({ codeKey: unit.key, writeOffId: first.id })]);
    expect(a.registry.lookup(unit.key).unit).toMatchObject({
      status: 'sold',
      soldAt: { store: 'store-a', at: first.at },
    });
    expect(kiosk(a, unit.scan)).toMatchObject({ verdict: 'genuine', sellable: true });
    expect(kiosk(b, unit.scan)).toMatchObject({ verdict: 'already_sold' });
    const resale = sell(a, unit.scan);
    expect(alerts(a)).toEqual([]);
    expect(kiosk(a, unit.scan)).toMatchObject({ verdict: 'already_sold', reason: 'written_off_here' });

    // Back online: the return and the resale reach upstream; B sees the resale, not the first sale.
    a.proxy.restore();
    await synced(a);
    await until(() => b.registry.lookup(unit.key).unit?.soldAt?.at === resale.at, 'B learns the resale at A');
    expect(kiosk(b, unit.scan)).toMatchObject({
      verdict: 'already_sold',
      sold: { where: 'upstream', storeId: 'store-a', at: resale.at },
    });
    const atB = b.checkout.completeSale({ lines: [{ data: unit.scan }] });
    expect(atB).toMatchObject({ ok: false, refused: [{ verdict: 'already_sold' }] });
    expect(alerts(b).map((r) => r.payload.kind)).toEqual(['clone']);
    expect(up.upstream.store.alerts().filter((x) => x.kind === UNDECODABLE_RECORD)).toEqual([]);
  });

  it('sold at A → sync → returned at A → sync: B says genuine and sells; A then says sold at B', async () => {
    const unit = genuine(1);
    const first = sell(a, unit.scan);
    await synced(a);
    await until(() => kiosk(b, unit.scan).verdict === 'already_sold', 'B learns the sale at A');

    giveBack(a, unit.scan);
    // At once at A, whatever its registry copy says yet.
    expect(kiosk(a, unit.scan)).toMatchObject({ verdict: 'genuine', sellable: true });
    await synced(a);
    // Upstream turned the return's line into an `active` event and published it.
    const events = up.db
      .prepare('SELECT status, store_id AS storeId FROM up_unit_events WHERE key = ? ORDER BY id')
      .all(unit.key);
    expect(events).toEqual([
      { status: 'sold', storeId: 'store-a' },
      { status: 'active', storeId: 'store-a' },
    ]);
    await until(() => b.registry.lookup(unit.key).unit?.status === 'active', 'B learns the return');
    expect(b.registry.lookup(unit.key).unit?.soldAt).toBeUndefined();
    expect(kiosk(b, unit.scan)).toMatchObject({ verdict: 'genuine', sellable: true });

    const alertsAtB = alerts(b).length;
    const atB = sell(b, unit.scan);
    expect(alerts(b)).toHaveLength(alertsAtB);
    await synced(b);
    await until(
      () => a.registry.lookup(unit.key).unit?.soldAt?.store === 'store-b',
      'A learns the sale at B',
    );
    expect(kiosk(a, unit.scan)).toMatchObject({
      verdict: 'already_sold',
      sold: { where: 'upstream', storeId: 'store-b', at: atB.at },
    });
    // A's old returned write-off does not undo B's sale: A can neither resell nor take it back.
    expect(a.checkout.completeSale({ lines: [{ data: unit.scan }] })).toMatchObject({
      ok: false,
      refused: [{ verdict: 'already_sold' }],
    });
    expect(a.returns.processReturn({ approvedBy: 'mgr-1', lines: [{ data: unit.scan }] })).toMatchObject({
      ok: false,
      refused: [{ reason: 'other_store' }],
    });
    expect(first.at < atB.at).toBe(true);
  });
});
