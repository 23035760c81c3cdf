/**
 * Two upstream workers in one shared-subscription group (issue 20's horizontal ingest) on a spawned
 * mosquitto, one receiving terminal: every delivery note's outcome must reach the worker that sent
 * it, since only that worker waits for it. With `deliveries/result` shared, the broker handed about
 * half the outcomes to the other worker: `send` timed out and transfer notes stayed pending
 * (docs/stock.md). Here each worker has its own SQLite file, so the other one has no row for the
 * note and records nothing (on one PostgreSQL database both see it:
 * test/integration/upstream/pg-deliveries.test.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { cn20, noteOf } from '../../helpers/receiving-fixture.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startTerminal, startUpstreamFor, type TerminalHandle, until } from './harness.js';

describe.skipIf(!hasSystemTool('mosquitto'))('delivery outcomes with two upstream workers', () => {
  const tmp = makeTempDir('vt-sync-delivery-workers-');
  const commandKey = generateKeyPairSync('ed25519');
  let broker: MosquittoBroker;
  let t: TerminalHandle;
  let workers: ReturnType<typeof startUpstreamFor>[] = [];

  beforeAll(async () => {
    const keysFile = join(tmp.dir, 'upstream-keys.json');
    writeFileSync(keysFile, JSON.stringify({ commandKeys: [publicKeyPem(commandKey.publicKey)] }));
    broker = await startMosquitto({ dir: tmp.dir });
    workers = ['w1', 'w2'].map((id) =>
      startUpstreamFor(
        join(tmp.dir, id),
        { brokerUrl: broker.url, clientId: `vt-upstream-${id}-${process.pid}`, publishRegistry: id === 'w1' },
        { commandKey: commandKey.privateKey },
      ),
    );
    for (const w of workers) await w.upstream.start();
    t = startTerminal(
      join(tmp.dir, 't1'),
      { brokerUrl: broker.url, storeId: 'store-a', terminalId: 't1', commandKeysFile: keysFile },
      { receiving: true },
    );
    await t.sync.start();
    await until(
      () => t.sync.status().link === 'up' && workers.every((w) => w.upstream.connected()),
      'all connected',
    );
  }, 60_000);
  afterAll(async () => {
    await t?.sync.stop();
    for (const w of workers) await w.upstream.stop();
    await broker?.stop();
    t?.ledger.close();
    t?.db.close();
    for (const w of workers) w.db.close();
    tmp.cleanup();
  });

  it('each of eight notes sent by worker 1 gets its outcome at worker 1; worker 2 records none', {
    timeout: 120_000,
  }, async () => {
    const sender = workers[0]!.upstream;
    const other = workers[1]!.upstream;
    const outcomes = [];
    for (let i = 0; i < 8; i++) {
      const body = noteOf({ deliveryId: `ASN-W-${i}`, units: [cn20(100 + i)] });
      outcomes.push(
        await sender.deliveries.send({ storeId: 'store-a', terminalId: 't1' }, body, { timeoutMs: 20_000 }),
      );
    }
    expect(outcomes.map((o) => [o.deliveryId, o.status])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`ASN-W-${i}`, 'accepted']),
    );
    expect((await sender.deliveries.log.list()).notes.map((n) => n.status)).toEqual(
      Array(8).fill('accepted'),
    );
    expect((await other.deliveries.log.list()).notes).toEqual([]);
  });
});
