import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, startUpstreamFor, terminalKeys, until } from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

describe.skipIf(!hasSystemTool('mosquitto'))(
  'drain survives broker kill, terminal restart and network cut',
  () => {
    const tmp = makeTempDir('vt-sync-resilience-');
    let broker: MosquittoBroker;
    let proxy: TcpProxy;
    beforeAll(async () => {
      broker = await startMosquitto({ dir: tmp.dir });
      proxy = await startTcpProxy(broker.port);
    });
    afterAll(async () => {
      await proxy?.close();
      await broker?.stop();
      tmp.cleanup();
    });

    it('upstream ends with every record exactly once, in sequence order', async () => {
      const total = 3000;
      const keys = terminalKeys();
      const options = {
        brokerUrl: proxy.url,
        storeId: 'store-a',
        terminalId: 't1',
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
        // Small batches and a small window make the drain long enough to interrupt it three times.
        drain: { maxBatchRecords: 50, maxInFlightBatches: 2, ackTimeoutMs: 1000, pollIntervalMs: 100 },
      };
      const dir = join(tmp.dir, 't1');
      let t = startTerminal(dir, options, { keys });
      appendMany(t.ledger, total);
      const up = startUpstreamFor(join(tmp.dir, 'up'), { brokerUrl: broker.url });
      up.upstream.store.enrol('store-a', 't1', publicKeyPem(keys.publicKey));
      await up.upstream.start();
      await until(() => up.upstream.connected(), 'upstream connected');

      // 1. Broker SIGKILLed mid-drain (queued QoS 1 messages lost with it), then restarted.
      await t.sync.start();
      await until(() => t.sync.status().lastAckedSeq >= 300, 'first 300 acknowledged');
      await broker.kill();
      expect(t.ledger.stats().pending).toBeGreaterThan(0);
      await broker.restart();
      await until(() => t.sync.status().lastAckedSeq >= 1200, 'drain resumed after broker restart', 30_000);
      // 2. Terminal restarted mid-drain: a new process state from the same database.
      await t.sync.stop();
      t.db.close();
      t = startTerminal(dir, options, { keys });
      expect(t.ledger.stats().pending).toBeGreaterThan(0);
      await t.sync.start();
      await until(() => t.sync.status().lastAckedSeq >= 2000, 'drain resumed after terminal restart', 30_000);
      // 3. Network cut: both sides see the TCP connection die; the link comes back by itself.
      const down = new Promise((resolve) => t.sync.events.once('disconnected', resolve));
      proxy.cut();
      await down;
      expect(t.sync.status().link).toBe('down');
      proxy.restore();

      await until(() => t.ledger.stats().pending === 0, 'everything acknowledged', 30_000);
      const seqs = up.upstream.store.sequences('store-a', 't1');
      expect(seqs).toHaveLength(total);
      expect(seqs.every((s, i) => s === i + 1)).toBe(true);
      expect(up.upstream.store.alerts().filter((a) => a.kind !== 'gap')).toEqual([]);
      await t.sync.stop();
      await up.upstream.stop();
    });
  },
);
