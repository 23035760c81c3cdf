import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { silentLogger } from '../../../terminal/logger.js';
import { createDemoRegistry } from '../../../terminal/registry/demo.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { createTerminalSync } from '../../../terminal/sync/for-terminal.js';
import { startDemoUpstream } from '../../../upstream/start-demo-upstream.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { until } from './harness.js';

describe('npm start wiring: embedded aedes broker + in-process upstream + createTerminalSync', () => {
  const tmp = makeTempDir('vt-sync-embedded-');
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    tmp.cleanup();
  });

  it('falls back to MQTT 3.1.1, takes the snapshot, drains, and propagates a sale to the other store', async () => {
    const demo = await createDemoRegistry(join(tmp.dir, 'authoring'), { scope: 'demo' });
    const make = (storeId: string) => {
      const dir = join(tmp.dir, storeId);
      const keys = generateKeyPairSync('ed25519');
      const identity = identityFromPrivateKey(keys.privateKey);
      const db = openDatabase(`${dir}-terminal.db`);
      const ledger = new Ledger({ db, identity, storeId, terminalId: 't1' });
      const registry = RegistryStore.open(`${dir}-registry.db`);
      const health = new HealthModel();
      return { storeId, dataDir: dir, identity, db, ledger, registry, health };
    };
    const a = make('store-a');
    const b = make('store-b');
    const up = await startDemoUpstream({
      dataDir: join(tmp.dir, 'upstream'),
      registryDir: demo.dir,
      manifestFile: demo.manifestFile,
      scope: demo.scope,
      logger: silentLogger(),
      terminals: [a, b].map((t) => ({
        storeId: t.storeId,
        terminalId: 't1',
        publicKey: t.identity.publicKeyPem,
      })),
    });
    stops.push(() => up.stop());
    const connect = (t: typeof a) => {
      const sync = createTerminalSync(
        {
          config: { dataDir: t.dataDir },
          logger: silentLogger(),
          ledger: t.ledger,
          registry: t.registry,
          health: t.health,
        },
        {
          ...up.terminalSyncOptions(t.storeId, 't1'),
          reconnect: { initialDelayMs: 50 },
          drain: { pollIntervalMs: 50 },
        },
        { registryTrust: { pinnedRoot: demo.root } },
      );
      stops.push(() => sync.stop());
      return sync;
    };
    const syncs = [a, b].map(connect);
    const upstreamTimes: string[] = [];
    syncs[0]!.events.on('upstreamTime', (at) => upstreamTimes.push(at));
    for (const s of syncs) await s.start();
    await until(
      () => a.registry.state() !== undefined && b.registry.state()?.version === a.registry.state()?.version,
      'both took the snapshot',
    );
    expect(syncs[0]!.status().protocolVersion).toBe(4);

    const code = demo.codes.find((c) => c.expect === 'genuine')!;
    a.ledger.append('write_off', { codeKey: code.key, saleId: 'sale-1', line: 0 });
    syncs[0]!.kick();
    await until(() => b.registry.lookup(code.key).unit?.status === 'sold', 'store B learns the sale');
    expect(b.registry.lookup(code.key).unit?.soldAt?.store).toBe('store-a');
    await until(() => a.ledger.stats().pending === 0, 'store A drained');
    expect(a.health.get('upstream')?.level).toBe('ok');
    expect(up.upstream.store.sequences('store-a', 't1')).toEqual([1]);

    // Live acks carry upstream's clock (the manager's clock-skew tile) ...
    await until(() => upstreamTimes.length > 0, 'a live ack carried upstream time');
    expect(Math.abs(Date.parse(upstreamTimes[0]!) - Date.now())).toBeLessThan(60_000);
    // ... but the retained ack a reconnecting terminal receives is not a clock sample.
    await syncs[0]!.stop();
    const again = connect(a);
    const replayed: string[] = [];
    again.events.on('upstreamTime', (at) => replayed.push(at));
    const acked = new Promise((resolve) => again.events.once('acked', resolve));
    await again.start();
    expect(await acked).toBe(1);
    await new Promise(setImmediate);
    expect(replayed).toEqual([]);
  });
});
