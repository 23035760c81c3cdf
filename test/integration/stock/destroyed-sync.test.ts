import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import { CheckoutService } from '../../../terminal/lanes/checkout.js';
import { ReceivingSession } from '../../../terminal/receiving/checkin-service.js';
import { importDeliveryNote } from '../../../terminal/receiving/import-note.js';
import { ReceivingStore } from '../../../terminal/receiving/receiving-store.js';
import { createDemoRegistry, type DemoRegistry } from '../../../terminal/registry/demo.js';
import { readSigningKey } from '../../../terminal/registry/keys.js';
import { parseManifest } from '../../../terminal/registry/manifest.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { StockOutService } from '../../../terminal/stock/stock-out-service.js';
import { StockStore } from '../../../terminal/stock/stock-store.js';
import { signCommand } from '../../../terminal/sync/command-signing.js';
import { registryStoreApplier } from '../../../terminal/sync/registry-applier.js';
import { SyncStore } from '../../../terminal/sync/sync-store.js';
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
} from '../sync/harness.js';

const SCOPE = 'demo';

type Store = TerminalHandle & { storeId: string; registry: RegistryStore; verifier: Verifier };

/**
 * Issue 19: a unit destroyed at store A reads `destroyed` at every store's kiosk once upstream
 * publishes it. Two stores' terminals and the reference upstream (the registry's own signed
 * deltas) on a spawned mosquitto; A receives the unit from a signed note, destroys it with the
 * real shipping-out service, and its `stock_out` record travels through the outbox.
 */
describe.skipIf(!hasSystemTool('mosquitto'))('a destroyed unit is destroyed chain-wide after sync', () => {
  const tmp = makeTempDir('vt-stock-destroyed-');
  const noteKey = generateKeyPairSync('ed25519');
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
    for (const f of [demo.manifestFile, demo.manifestFile.replace('.manifest.json', '.body.z')])
      copyFileSync(f, join(snapDir, basename(f)));
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
    const open = (storeId: string): Store => {
      const keys = terminalKeys();
      up.upstream.store.enrol(storeId, 't1', publicKeyPem(keys.publicKey));
      const dir = join(tmp.dir, storeId);
      mkdirSync(dir, { recursive: true });
      const registry = RegistryStore.open(join(dir, 'registry.db'));
      const handle = startTerminal(
        dir,
        {
          brokerUrl: broker.url,
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
      return { ...handle, storeId, registry, verifier };
    };
    a = open('store-a');
    b = open('store-b');
    await up.upstream.start();
    await a.sync.start();
    await b.sync.start();
    await until(() => a.registry.state()?.version === version, 'snapshot applied at A');
    await until(() => b.registry.state()?.version === version, 'snapshot applied at B');
  });
  afterAll(async () => {
    for (const s of [a, b]) await s?.sync.stop();
    await up?.upstream.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  const kiosk = (s: Store, scan: string) => s.verifier.verify(scan, { source: 'kiosk' });

  it('received at A, destroyed at A → sync → every kiosk says destroyed, B refuses the sale', async () => {
    const unit = demo.codes.filter((c) => c.expect === 'genuine')[2]!;
    expect(kiosk(b, unit.scan)).toMatchObject({ verdict: 'genuine' });
    // A receives the unit from a signed delivery note, then destroys it (damaged).
    const receiving = new ReceivingStore(a.db);
    const now = Date.now();
    const note = signCommand(
      {
        v: 1,
        kind: 'delivery_note',
        id: 'destroy-note-1',
        target: { storeId: 'store-a' },
        issuedAt: new Date(now - 60_000).toISOString(),
        expiresAt: new Date(now + 86_400_000).toISOString(),
        note: {
          deliveryId: 'D-1',
          supplier: { id: 'sup-1', name: 'Wholesaler' },
          expectedArrival: new Date(now).toISOString(),
          units: [unit.key],
        },
      },
      noteKey.privateKey,
    );
    const ctx = {
      store: receiving,
      nonces: new SyncStore(a.db),
      keys: [noteKey.publicKey],
      storeId: 'store-a',
    };
    expect(importDeliveryNote(note, { ...ctx, maxClockSkewMs: 60_000, nowMs: now })).toMatchObject({
      ok: true,
    });
    const session = new ReceivingSession({ store: receiving, ledger: a.ledger, registry: a.registry }, 'D-1');
    expect(session.scan(unit.scan)).toMatchObject({ action: 'checked_in' });
    session.close({ outcome: 'complete' });
    const shipments = new StockOutService({
      store: new StockStore(a.db),
      ledger: a.ledger,
      registry: a.registry,
    });
    const s = shipments.open({ kind: 'destruction', reason: 'damaged', openedBy: 'mgr' });
    expect(shipments.scan(s.id, unit.scan)).toMatchObject({ result: 'added' });
    const record = shipments.close(s.id, 'mgr-1');

    await until(() => up.upstream.store.lastSeq('store-a', 't1') === a.ledger.headSeq(), 'A ingested');
    const events = up.db
      .prepare('SELECT status FROM up_unit_events WHERE key = ? ORDER BY id')
      .all(unit.key) as { status: string }[];
    expect(events.map((e) => e.status)).toEqual(['received', 'destroyed']);
    await until(() => b.registry.lookup(unit.key).unit?.status === 'destroyed', 'B learns the destruction');
    await until(
      () => a.registry.lookup(unit.key).unit?.status === 'destroyed',
      'A learns its own destruction',
    );
    expect(kiosk(b, unit.scan)).toMatchObject({ verdict: 'destroyed' });
    expect(kiosk(a, unit.scan)).toMatchObject({ verdict: 'destroyed' });
    const atB = new CheckoutService({ ledger: b.ledger, verifier: b.verifier }).completeSale({
      lines: [{ data: unit.scan }],
    });
    expect(atB).toMatchObject({ ok: false, refused: [{ verdict: 'destroyed' }] });
    expect(record.payload.kind).toBe('destruction');
    expect(up.upstream.store.alerts().filter((x) => x.kind === UNDECODABLE_RECORD)).toEqual([]);
  });
});
