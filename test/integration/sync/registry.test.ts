import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/parse-code.js';
import { createDemoRegistry, type DemoRegistry } from '../../../terminal/registry/demo.js';
import { readSigningKey } from '../../../terminal/registry/keys.js';
import { parseManifest } from '../../../terminal/registry/manifest.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { registryStoreApplier } from '../../../terminal/sync/registry-applier.js';
import { decideVerdict, policyMoment } from '../../../terminal/verify/policy.js';
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

describe.skipIf(!hasSystemTool('mosquitto'))(
  'registry updates over MQTT with the real signed registry',
  () => {
    const tmp = makeTempDir('vt-sync-registry-');
    let broker: MosquittoBroker;
    let proxyA: TcpProxy;
    let proxyB: TcpProxy;
    let demo: DemoRegistry;
    let up: ReturnType<typeof startUpstreamFor>;
    let a: TerminalHandle & { store: RegistryStore };
    let b: TerminalHandle & { store: RegistryStore };
    let cutAtChunk = 0;
    let snapshotVersion = 0;

    beforeAll(async () => {
      broker = await startMosquitto({ dir: tmp.dir });
      proxyA = await startTcpProxy(broker.port);
      proxyB = await startTcpProxy(broker.port);
      demo = await createDemoRegistry(join(tmp.dir, 'authoring'), { scope: SCOPE });
      snapshotVersion = parseManifest(readFileSync(demo.manifestFile, 'utf8')).signed.version;
      // The upstream's release directory: the signed snapshot as authored.
      const snapDir = join(tmp.dir, 'up', 'registry', SCOPE, `snapshot-${snapshotVersion}`);
      mkdirSync(snapDir, { recursive: true });
      for (const f of [demo.manifestFile, demo.manifestFile.replace('.manifest.json', '.body.z')]) {
        copyFileSync(f, join(snapDir, basename(f)));
      }
      const keysA = terminalKeys();
      const keysB = terminalKeys();
      up = startUpstreamFor(
        join(tmp.dir, 'up'),
        // Tiny chunks so the small demo snapshot travels as many chunks.
        { brokerUrl: broker.url, chunkBytes: 64, deltaDebounceMs: 20 },
        {
          deltaBuilder: registryDeltaBuilder({
            releases: new FileReleaseStorage(join(tmp.dir, 'up', 'registry')),
            stateDir: join(tmp.dir, 'up'),
            root: demo.root,
            signingKeys: [readSigningKey(join(demo.dir, 'release.key'))],
          }),
        },
      );
      up.upstream.store.enrol('store-a', 't1', publicKeyPem(keysA.publicKey));
      up.upstream.store.enrol('store-b', 't1', publicKeyPem(keysB.publicKey));
      await up.upstream.start();
      const terminal = (name: string, storeId: string, proxy: TcpProxy, keys: typeof keysA, cut = false) => {
        const dir = join(tmp.dir, name);
        mkdirSync(dir, { recursive: true });
        const store = RegistryStore.open(join(dir, 'registry.db'));
        const handle = startTerminal(
          dir,
          {
            brokerUrl: proxy.url,
            storeId,
            terminalId: 't1',
            reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
            registry: { scopes: [SCOPE], parallelChunks: 2, requestTimeoutMs: 2000 },
            drain: { pollIntervalMs: 50 },
          },
          {
            keys,
            registry: registryStoreApplier(store, { pinnedRoot: demo.root }),
            onHealth: (component, item) => {
              // Cut the network in the middle of the snapshot transfer (once).
              const fetched = Number(item.details?.chunksFetched ?? 0);
              if (cut && cutAtChunk === 0 && component === `registry-update:${SCOPE}` && fetched >= 8) {
                cutAtChunk = up.upstream.publisher.chunkRequests;
                proxy.cut();
              }
            },
          },
        );
        return { ...handle, store };
      };
      a = terminal('a', 'store-a', proxyA, keysA);
      b = terminal('b', 'store-b', proxyB, keysB, true);
    });
    afterAll(async () => {
      await a?.sync.stop();
      await b?.sync.stop();
      await up?.upstream.stop();
      await proxyA?.close();
      await proxyB?.close();
      await broker?.stop();
      tmp.cleanup();
    });

    it('fetches the chunked snapshot, checks every chunk, and resumes after a network cut', async () => {
      const total = (await up.upstream.publisher.current(SCOPE))!.snapshot!.files.reduce(
        (n, f) => n + f.chunks.length,
        0,
      );
      expect(total).toBeGreaterThan(16);
      const cutDown = new Promise((resolve) => b.sync.events.once('disconnected', resolve));
      await b.sync.start();
      await cutDown;
      expect(cutAtChunk).toBeGreaterThan(0);
      expect(b.store.state()).toBeUndefined();
      proxyB.restore();
      await until(() => b.store.state()?.version === snapshotVersion, 'snapshot applied on B');
      // Resumed: after the cut, only the chunks not yet written were asked for again (plus the in-flight ones).
      const afterCut = up.upstream.publisher.chunkRequests - cutAtChunk;
      expect(afterCut).toBeLessThan(total - 8 + 4);
      expect(b.health.get(`registry-update:${SCOPE}`)?.details?.state).toBe('done');
      await a.sync.start();
      await until(() => a.store.state()?.version === snapshotVersion, 'snapshot applied on A');
    });

    it('a code sold at store A is already_sold at store B within 5 s (online) and after B reconnects', async () => {
      const genuine = demo.codes.filter((c) => c.expect === 'genuine');
      expect(genuine.length).toBeGreaterThanOrEqual(2);
      const policy = {
        maxRegistryAgeMs: 86_400_000,
        expiredPolicy: 'block',
        unverifiablePolicy: 'block',
      } as const;
      const verdictAtB = (scan: string) =>
        decideVerdict({
          parse: parseCode(scan),
          lookup: b.store.lookup(parseCode(scan).ok ? (parseCode(scan) as { key: string }).key : ''),
          moment: policyMoment(b.store.state(), new Date(), policy),
          today: new Date().toISOString().slice(0, 10),
          history: { checksHere: 0 },
          config: policy,
        });
      const first = genuine[0]!;
      expect(verdictAtB(first.scan).verdict).toBe('genuine');

      // Online: A sells, B knows within 5 s.
      const sold = a.ledger.append('write_off', { codeKey: first.key, saleId: 'sale-1', line: 0 });
      a.sync.kick();
      await until(() => verdictAtB(first.scan).verdict === 'already_sold', 'B sees the sale', 5000);
      expect(verdictAtB(first.scan).sold).toMatchObject({
        where: 'upstream',
        storeId: 'store-a',
        at: sold.at,
      });

      // B offline while A sells another; B learns it once it reconnects.
      const second = genuine[1]!;
      proxyB.cut();
      await until(() => b.sync.status().link === 'down', 'B offline');
      const sold2 = a.ledger.append('write_off', { codeKey: second.key, saleId: 'sale-2', line: 0 });
      a.sync.kick();
      await until(
        async () => ((await up.upstream.publisher.current(SCOPE))?.version ?? 0) >= snapshotVersion + 2,
        'upstream published the second sale',
      );
      expect(verdictAtB(second.scan).verdict).toBe('genuine');
      proxyB.restore();
      await until(
        () => verdictAtB(second.scan).verdict === 'already_sold',
        'B catches up after reconnecting',
        5000,
      );
      expect(verdictAtB(second.scan).sold).toMatchObject({ storeId: 'store-a', at: sold2.at });
      expect(b.store.state()?.version).toBe((await up.upstream.publisher.current(SCOPE))?.version);
    });
  },
);
