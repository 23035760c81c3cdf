/**
 * Delivery notes in the shared PostgreSQL database (issue 20): two `veriterm upstream` workers
 * (startUpstream with `database`, one shared-subscription group, a spawned mosquitto) and a
 * receiving terminal. A note sent by worker 1 while the store is offline, worker 1 then stopped:
 * the outcome arrives at worker 2, the goods receipt is ingested by worker 2, and worker 1 back up
 * lists the very same note, outcome and receipt. `veriterm upstream delivery send --db` and
 * `veriterm upstream deliveries --db` (one-off processes of their own) use the same database.
 */
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandModule } from '../../../cli/args.js';
import { list as deliveriesList, send as deliverySend } from '../../../cli/upstream/delivery.js';
import { silentLogger } from '../../../terminal/logger.js';
import { ReceivingSession } from '../../../terminal/receiving/checkin-service.js';
import { ReceivingStore } from '../../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../../terminal/registry/testing/memory-registry.js';
import type { DeliveryOutcome } from '../../../terminal/sync/protocol.js';
import type { Upstream } from '../../../upstream/create-upstream.js';
import {
  loadOrCreateCommandKey,
  type StartedUpstream,
  startUpstream,
} from '../../../upstream/start-upstream.js';
import { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { runCaptured } from '../../helpers/captured-io.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { cn20, noteOf } from '../../helpers/receiving-fixture.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startTerminal, type TerminalHandle, terminalKeys, until } from '../sync/harness.js';
import { startTcpProxy, type TcpProxy } from '../sync/tcp-proxy.js';

const STORE = 'store-p';
const TERMINAL = 'recv1';
const target = { storeId: STORE, terminalId: TERMINAL };

const cli = (module: CommandModule, argv: string[]) => runCaptured(module.run, argv);

const ready = hasSystemTool('mosquitto') && (await hasPostgres());

describe.skipIf(!ready)('delivery notes shared by two upstream workers on PostgreSQL', () => {
  const tmp = makeTempDir('vt-pg-deliveries-');
  const dataDir = join(tmp.dir, 'upstream');
  const terminalKey = terminalKeys();
  let broker: MosquittoBroker;
  let proxy: TcpProxy;
  let database: TestDatabase;
  let t: TerminalHandle;
  const workers = new Map<string, StartedUpstream<Upstream>>();
  /** Each worker's `deliveryOutcome` events (the worker that recorded a note's first outcome). */
  const outcomes = new Map<string, DeliveryOutcome[]>();

  const startWorker = async (id: string) => {
    const started = await startUpstream({
      dataDir,
      database: database.url,
      logger: silentLogger(),
      options: {
        brokerUrl: broker.url,
        protocol: '5',
        clientId: `vt-upstream-${id}`,
        publishRegistry: false,
      },
    });
    started.upstream.events.on('deliveryOutcome', (o) => outcomes.get(id)!.push(o));
    workers.set(id, started);
    await until(() => started.upstream.connected(), `worker ${id} connected`);
    return started.upstream;
  };
  const stopWorker = async (id: string) => {
    await workers.get(id)?.stop();
    workers.delete(id);
  };

  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
    proxy = await startTcpProxy(broker.port);
    database = await createTestDatabase('vt_pg_deliveries');
    const commandKey = loadOrCreateCommandKey(dataDir);
    const storage = await PostgresUpstreamStorage.open({ url: database.url, logger: silentLogger() });
    await storage.ingest.enrol(STORE, TERMINAL, publicKeyPem(terminalKey.publicKey));
    await storage.close();
    for (const id of ['w1', 'w2']) outcomes.set(id, []);
    await startWorker('w1');
    await startWorker('w2');
    const keysFile = join(tmp.dir, 'upstream-keys.json');
    writeFileSync(keysFile, JSON.stringify({ commandKeys: [publicKeyPem(createPublicKey(commandKey))] }));
    t = startTerminal(
      join(tmp.dir, 'terminal'),
      {
        brokerUrl: proxy.url,
        storeId: STORE,
        terminalId: TERMINAL,
        commandKeysFile: keysFile,
        reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      },
      { keys: terminalKey, receiving: true },
    );
    await t.sync.start();
    await until(() => t.sync.status().link === 'up', 'terminal connected');
  }, 60_000);
  afterAll(async () => {
    await t?.sync.stop();
    t?.ledger.close();
    t?.db.close();
    for (const id of [...workers.keys()]) await stopWorker(id);
    await proxy?.close();
    await broker?.stop();
    await database?.drop();
    tmp.cleanup();
  });

  it('a note sent by worker 1, its outcome and receipt taken by worker 2: both list the same', {
    timeout: 120_000,
  }, async () => {
    // The store is offline: worker 1 sends, stops waiting, and is stopped itself.
    proxy.cut();
    await until(() => t.sync.status().link === 'down', 'terminal offline');
    const w1 = workers.get('w1')!.upstream;
    const units = [cn20(300), cn20(301), cn20(302)];
    await expect(
      w1.deliveries.send(target, noteOf({ deliveryId: 'ASN-PG-1', units }), { timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'delivery_timeout' });
    const [sent] = (await w1.deliveries.log.list()).notes;
    expect(sent).toMatchObject({ deliveryId: 'ASN-PG-1', status: 'sent', units: 3 });
    await stopWorker('w1');

    // The store returns: its persistent session delivers the note; only worker 2 hears the outcome.
    proxy.restore();
    await until(() => outcomes.get('w2')!.some((o) => o.id === sent!.id), 'the outcome at worker 2', 60_000);
    expect(outcomes.get('w2')!.find((o) => o.id === sent!.id)).toMatchObject({
      status: 'accepted',
      units: 3,
    });
    const w2 = workers.get('w2')!.upstream;
    expect(await w2.deliveries.log.note(sent!.id)).toMatchObject({ status: 'accepted' });

    // Checked in and closed at the store; the receipt syncs and worker 2 ingests it.
    const session = new ReceivingSession(
      {
        store: new ReceivingStore(t.db),
        ledger: t.ledger,
        registry: new MemoryRegistry({ products: [], batches: [], units: [] }),
      },
      'ASN-PG-1',
    );
    for (const u of units.slice(0, 2)) expect(session.scan(u)).toMatchObject({ ok: true, target: 'unit' });
    const receipt = session.close({ outcome: 'partial', reason: 'one unit short' });
    await until(
      async () => (await w2.deliveries.log.list()).notes[0]?.receipts.length === 1,
      'the receipt noted by worker 2',
      60_000,
    );

    // Worker 1 back up: the same note, outcome and receipt, from the one database.
    const again = await startWorker('w1');
    const listing = await again.deliveries.log.list({ storeId: STORE });
    expect(listing).toEqual(await w2.deliveries.log.list({ storeId: STORE }));
    expect(listing.notes).toEqual([
      expect.objectContaining({
        id: sent!.id,
        status: 'accepted',
        receipts: [
          expect.objectContaining({
            recordId: receipt.id,
            outcome: 'partial',
            acceptedUnits: 2,
            expectedUnits: 3,
          }),
        ],
      }),
    ]);
  });

  it('`veriterm upstream delivery send --db` and `deliveries --db`: the one-off sender and both workers agree', {
    timeout: 120_000,
  }, async () => {
    const noteFile = join(tmp.dir, 'note-2.json');
    writeFileSync(noteFile, JSON.stringify(noteOf({ deliveryId: 'ASN-PG-2', units: [cn20(400)] })));
    const flags = ['--data', dataDir, '--db', database.url];
    const sent = await cli(deliverySend, [
      '--broker',
      broker.url,
      ...flags,
      '--store',
      STORE,
      '--terminal',
      TERMINAL,
      noteFile,
    ]);
    expect(sent.err).toBe('');
    expect(sent.out).toMatch(/^accepted: ASN-PG-2 to store-p\/recv1 \(note .+\), 1 units\n$/);
    const noteId = /\(note (.+)\)/.exec(sent.out)![1]!;
    // Every process hears the outcome (deliveries/result is not shared); one recorded it first.
    for (const w of workers.values())
      expect(await w.upstream.deliveries.log.note(noteId)).toMatchObject({ status: 'accepted' });
    const listed = await cli(deliveriesList, flags);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(
      /ASN-PG-1 {2}store-p\/recv1 {2}3 units {2}sent \S+ {2}accepted\n {4}receipt partial: 2 of 3 units accepted/,
    );
    expect(listed.out).toMatch(
      /ASN-PG-2 {2}store-p\/recv1 {2}1 units {2}sent \S+ {2}accepted\n {4}no receipt yet/,
    );
    const json = JSON.parse((await cli(deliveriesList, [...flags, '--json', '--store', STORE])).out) as {
      notes: { deliveryId: string }[];
    };
    expect(json.notes.map((n) => n.deliveryId)).toEqual(['ASN-PG-1', 'ASN-PG-2']);
    const bad = await cli(deliveriesList, ['--data', dataDir, '--db', 'mysql://x']).catch((e: Error) => e);
    expect(bad).toMatchObject({
      message: expect.stringMatching(/--db expects a postgres:\/\/ URL, got "mysql:\/\/x"/),
    });
  });
});
