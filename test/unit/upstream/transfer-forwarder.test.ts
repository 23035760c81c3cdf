import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { list as deliveriesList } from '../../../cli/upstream/delivery.js';
import { receivingTerminals } from '../../../cli/upstream/receiving-terminals.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { createLogger } from '../../../terminal/logger.js';
import type { DeliveryOutcome } from '../../../terminal/sync/protocol.js';
import type { DeliveryTarget, SendOptions } from '../../../upstream/delivery-send.js';
import type { TransferQueueStorage } from '../../../upstream/storage/contract.js';
import { SqliteUpstreamStorage } from '../../../upstream/storage/sqlite/sqlite-storage.js';
import { TransferForwarder, type TransferOptions } from '../../../upstream/transfer-forwarder.js';
import { cn20, noteOf, signNote } from '../../helpers/receiving-fixture.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * Upstream's transfer forwarder (docs/stock.md "Transfers end to end") against a fake sender: one
 * note per transfer record whatever is re-ingested, the receiving terminal chosen by option or as
 * the store's only known terminal, unanswered notes sent again when that terminal comes online,
 * outcomes that settle a note, and refusals that stop it.
 */
describe('TransferForwarder', () => {
  const tmp = makeTempDir('vt-transfer-forwarder-');
  afterAll(() => tmp.cleanup());
  const logger = createLogger({ level: 'silent' });

  /** Store s1 receives six units, then ships two of them to s2 and destroys one. */
  function shippedRecords(): { transfer: LedgerRecord; all: LedgerRecord[] } {
    const rig = StockRig.create(mkdtempSync(join(tmp.dir, 'a-')));
    const units = Array.from({ length: 6 }, (_, i) => cn20(i));
    expect(rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-1');
    for (const u of units) s.scan(u);
    s.close({ outcome: 'complete' });
    const ship = (kind: 'transfer' | 'destruction', keys: string[]) => {
      const o = rig.shipments.open({
        kind,
        reason: kind === 'transfer' ? 'rebalance' : 'damaged',
        openedBy: 'm',
        ...(kind === 'transfer' ? { toStoreId: 's2' } : {}),
      });
      rig.shipments.scanMany(o.id, keys);
      return rig.shipments.close(o.id, 'mgr');
    };
    ship('destruction', [cn20(0)]);
    const transfer = ship('transfer', [cn20(2), cn20(3)]);
    return { transfer, all: rig.ledger.pending(0, 100) };
  }

  type Call = {
    target: DeliveryTarget;
    body: { deliveryId: string; units: string[]; supplier: { id: string } };
    opts: SendOptions;
    answer: (o: Partial<DeliveryOutcome>) => void;
    timeout: () => void;
  };

  /** A forwarder with a fake sender; `worker` of another rig: a second worker on the same storage and sender. */
  function rig(
    options: Partial<TransferOptions> = {},
    dbFile?: string,
    worker?: { calls: Call[]; store: TransferQueueStorage },
  ) {
    const calls: Call[] = worker?.calls ?? [];
    const statuses = new Map<string, unknown>();
    const store =
      worker?.store ??
      new SqliteUpstreamStorage(
        openDatabase(dbFile ?? join(tmp.dir, `${Math.random().toString(36).slice(2)}.db`)),
      ).deliveries.transfers;
    const forwarder = new TransferForwarder(
      {
        store,
        logger,
        statuses: () => statuses,
        deliveries: {
          send: (target, body, opts = {}) =>
            new Promise<DeliveryOutcome>((resolve, reject) => {
              calls.push({
                target,
                body: body as Call['body'],
                opts,
                answer: (o) =>
                  resolve({
                    v: 1,
                    id: `n${calls.length}`,
                    at: new Date().toISOString(),
                    status: 'accepted',
                    ...o,
                  }),
                timeout: () => reject(Object.assign(new Error('no outcome'), { code: 'delivery_timeout' })),
              });
            }),
        },
      },
      { receivingTerminals: {}, retryDelayMs: 0, timeoutMs: 1000, ttlMs: 3_600_000, ...options },
    );
    const online = (storeId: string, terminalId: string) => {
      const doc = { state: 'online' };
      statuses.set(`${storeId}/${terminalId}`, doc);
      forwarder.onStatus({ storeId, terminalId, doc });
    };
    return { calls, statuses, forwarder, online, store };
  }

  const settled = () => new Promise((resolve) => setTimeout(resolve, 5));
  /** Polls until `check` holds (timers and promise callbacks run in between); no fixed sleep. */
  async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await settled();
    }
  }

  it('sends one note per transfer to the configured receiving terminal; re-ingesting sends nothing more', async () => {
    const { transfer, all } = shippedRecords();
    const { calls, forwarder } = rig({ receivingTerminals: { s2: 'back-door' } });
    await forwarder.noteAccepted('s1', 't1', all);
    await forwarder.noteAccepted('s1', 't1', all);
    await forwarder.noteAccepted('s1', 't1', [transfer]);
    expect(calls).toHaveLength(1);
    const shipmentId = (transfer.payload as { shipmentId: string }).shipmentId;
    expect(calls[0]).toMatchObject({
      target: { storeId: 's2', terminalId: 'back-door' },
      body: { deliveryId: `TR-${shipmentId}`, units: [cn20(2), cn20(3)], supplier: { id: 's1' } },
      opts: { ttlMs: 3_600_000, timeoutMs: 1000 },
    });
    calls[0]!.answer({ status: 'accepted', units: 2 });
    await until(async () => (await forwarder.list())[0]?.state === 'delivered', 'delivered');
    expect(await forwarder.list()).toEqual([
      expect.objectContaining({
        recordId: transfer.id,
        toStore: 's2',
        units: 2,
        attempts: 1,
        terminalId: 'back-door',
      }),
    ]);
  });

  it('waits for a receiving terminal: the store’s only terminal once its status is known', async () => {
    const { all } = shippedRecords();
    const { calls, forwarder, online, statuses } = rig();
    await forwarder.noteAccepted('s1', 't1', all);
    expect(calls).toHaveLength(0);
    expect((await forwarder.list())[0]).toMatchObject({ state: 'pending', attempts: 0 });
    // Another store's terminal coming online changes nothing.
    online('s3', 'T1');
    await settled();
    expect(calls).toHaveLength(0);
    online('s2', 'T9');
    await until(() => calls.length === 1, 'the note sent to s2/T9');
    expect(calls[0]!.target).toEqual({ storeId: 's2', terminalId: 'T9' });
    // Two terminals known and none configured: no guess.
    statuses.set('s2/T8', { state: 'online' });
    expect(forwarder.receivingTerminal('s2')).toBeUndefined();
  });

  it('a note not answered in time is sent again when the terminal comes online; the late outcome settles it', async () => {
    const { transfer, all } = shippedRecords();
    const { calls, forwarder, online } = rig({ receivingTerminals: { s2: 'T2' } });
    await forwarder.noteAccepted('s1', 't1', all);
    calls[0]!.timeout();
    await settled();
    expect((await forwarder.list())[0]).toMatchObject({ state: 'pending', attempts: 1 });
    // An online status of another terminal of the store is not the receiving one.
    online('s2', 'T1');
    await settled();
    expect(calls).toHaveLength(1);
    online('s2', 'T2');
    await until(() => calls.length === 2, 'the resend');
    // The same body both times: the terminal answers the second `already_imported`.
    expect(calls[1]!.body).toEqual(calls[0]!.body);
    const deliveryId = calls[0]!.body.deliveryId;
    // The first note's outcome arrives late (the broker queued it): upstream's deliveryOutcome event.
    await forwarder.onOutcome({
      storeId: 's2',
      terminalId: 'T2',
      v: 1,
      id: 'x',
      at: 'now',
      status: 'accepted',
      deliveryId,
    });
    expect((await forwarder.list())[0]).toMatchObject({
      recordId: transfer.id,
      state: 'delivered',
      attempts: 2,
    });
    calls[1]!.answer({ status: 'already_imported', deliveryId });
    online('s2', 'T2');
    await settled();
    expect(calls).toHaveLength(2);
  });

  it('a refusal stops the note (named code); a storage fault or a replay leaves it pending', async () => {
    const { all } = shippedRecords();
    const { calls, forwarder, online } = rig({ receivingTerminals: { s2: 'T2' } });
    await forwarder.noteAccepted('s1', 't1', all);
    calls[0]!.answer({ status: 'refused', code: 'store_failed', message: 'disk full' });
    await settled();
    expect((await forwarder.list())[0]).toMatchObject({ state: 'pending' });
    online('s2', 'T2');
    await until(() => calls.length === 2, 'sent again');
    calls[1]!.answer({ status: 'refused', code: 'wrong_store', message: 'note for another store' });
    await until(async () => (await forwarder.list())[0]?.state === 'refused', 'refused');
    expect((await forwarder.list())[0]).toMatchObject({
      code: 'wrong_store',
      message: 'note for another store',
    });
    online('s2', 'T2');
    await settled();
    expect(calls).toHaveLength(2);
  });

  it('outcomes of other deliveries or stores do not touch a transfer note', async () => {
    const { all } = shippedRecords();
    const { calls, forwarder } = rig({ receivingTerminals: { s2: 'T2' } });
    await forwarder.noteAccepted('s1', 't1', all);
    const deliveryId = calls[0]!.body.deliveryId;
    await forwarder.onOutcome({
      storeId: 's9',
      terminalId: 'T2',
      v: 1,
      id: 'x',
      at: 'now',
      status: 'accepted',
      deliveryId,
    });
    await forwarder.onOutcome({
      storeId: 's2',
      terminalId: 'T2',
      v: 1,
      id: 'y',
      at: 'now',
      status: 'accepted',
      deliveryId: 'ASN-1',
    });
    expect((await forwarder.list())[0]).toMatchObject({ state: 'pending' });
  });

  it('`veriterm upstream deliveries` lists transfer notes with their state (text and JSON, by store)', async () => {
    const dir = mkdtempSync(join(tmp.dir, 'up-'));
    const { all } = shippedRecords();
    const first = shippedRecords();
    const { calls, forwarder } = rig({ receivingTerminals: { s2: 'T2' } }, join(dir, 'upstream.db'));
    await forwarder.noteAccepted('s1', 't1', all);
    calls[0]!.answer({ status: 'accepted' });
    await until(async () => (await forwarder.list())[0]?.state === 'delivered', 'delivered');
    // A second shop's transfer to a store without a known terminal.
    const other = {
      ...first.transfer,
      id: 'rec-other',
      payload: { ...first.transfer.payload, toStoreId: 's7' },
    };
    await forwarder.noteAccepted('s1', 't1', [other]);
    const run = async (argv: string[]) => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const code = await deliveriesList.run(['--data', dir, ...argv], {
        stdout,
        stderr: new PassThrough(),
        stdin: new PassThrough(),
      });
      return { code, out };
    };
    const text = await run([]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/TR-\S+ {2}s1\/t1 → s2\/T2 {2}2 units {2}delivered/);
    expect(text.out).toMatch(/TR-\S+ {2}s1\/t1 → s7\/\? {2}2 units {2}pending: no receiving terminal known/);
    const json = JSON.parse((await run(['--json', '--store', 's7'])).out) as {
      transfers: { toStore: string }[];
    };
    expect(json.transfers.map((t) => t.toStore)).toEqual(['s7']);
  });

  it('a transfer to a store id that is no topic level, or to the shipping store, is kept refused and never sent', async () => {
    const { transfer } = shippedRecords();
    const { calls, forwarder } = rig({ receivingTerminals: { 's2/T2/cmd': 'T2', s1: 'T1' } });
    const to = (id: string, toStoreId: string) => ({
      ...transfer,
      id,
      payload: { ...transfer.payload, toStoreId },
    });
    await forwarder.noteAccepted('s1', 't1', [
      to('r-topic', 's2/T2/cmd'),
      to('r-wild', '#'),
      to('r-self', 's1'),
    ]);
    expect(calls).toEqual([]);
    expect((await forwarder.list()).map((t) => [t.recordId, t.state, t.code])).toEqual(
      expect.arrayContaining([
        ['r-topic', 'refused', 'bad_transfer'],
        ['r-wild', 'refused', 'bad_transfer'],
        ['r-self', 'refused', 'bad_transfer'],
      ]),
    );
  });

  it('`veriterm upstream run --receiving-terminal STORE=TERMINAL` names each store’s terminal; a bad value is named', () => {
    expect(receivingTerminals(['S2=T-back', 'S3=T1'])).toEqual({ S2: 'T-back', S3: 'T1' });
    expect(receivingTerminals()).toEqual({});
    for (const bad of ['S2', 'S2=', '=T1', 'S2=T1=x', 'S/2=T1', 'S2=T#'])
      expect(() => receivingTerminals([bad])).toThrow(/--receiving-terminal .*expected STORE=TERMINAL/);
  });

  it('two workers on one storage: one of them sends the retry, and an outcome the other records settles the note', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { transfer, all } = shippedRecords();
      const options = { receivingTerminals: { s2: 'T2' }, retryDelayMs: 10_000 };
      const a = rig(options);
      const b = rig(options, undefined, a);
      await a.forwarder.noteAccepted('s1', 't1', all);
      await b.forwarder.noteAccepted('s1', 't1', all);
      expect(a.calls).toHaveLength(1);
      a.calls[0]!.timeout();
      await vi.advanceTimersByTimeAsync(10_000);
      // Every worker sees the terminal's status; both retry at once, one sends.
      a.online('s2', 'T2');
      b.online('s2', 'T2');
      await vi.advanceTimersByTimeAsync(10_001);
      expect(a.calls).toHaveLength(2);
      expect(await b.store.get(transfer.id)).toMatchObject({ state: 'pending', attempts: 2 });
      // The outcome reaches worker b (the one that recorded it first): the one row is settled.
      await b.forwarder.onOutcome({
        storeId: 's2',
        terminalId: 'T2',
        v: 1,
        id: 'x',
        at: 'now',
        status: 'accepted',
        deliveryId: a.calls[0]!.body.deliveryId,
      });
      expect(await a.forwarder.list()).toEqual([
        expect.objectContaining({ state: 'delivered', attempts: 2 }),
      ]);
      a.online('s2', 'T2');
      await vi.advanceTimersByTimeAsync(10_001);
      expect(a.calls).toHaveLength(2);
      a.forwarder.stop();
      b.forwarder.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('status republished while online: one retry per store at a time, a note sent within retryDelayMs waits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { all } = shippedRecords();
      const second = shippedRecords();
      const { calls, forwarder, online } = rig({ receivingTerminals: { s2: 'T2' }, retryDelayMs: 10_000 });
      await forwarder.noteAccepted('s1', 't1', all);
      calls[0]!.timeout();
      await vi.advanceTimersByTimeAsync(1);
      for (let i = 0; i < 5; i++) online('s2', 'T2');
      await vi.advanceTimersByTimeAsync(4_000);
      // A second transfer arrives and is sent (no answer yet) before the retry fires.
      await forwarder.noteAccepted('s1', 't1', [second.transfer]);
      calls[1]!.timeout();
      await vi.advanceTimersByTimeAsync(6_000);
      // One retry for the five statuses, of the first note only (the second was sent 6 s ago).
      expect(calls.map((c) => c.body.deliveryId)).toEqual([
        calls[0]!.body.deliveryId,
        calls[1]!.body.deliveryId,
        calls[0]!.body.deliveryId,
      ]);
      calls[2]!.answer({ status: 'already_imported' });
      online('s2', 'T2');
      await vi.advanceTimersByTimeAsync(10_001);
      expect(calls.map((c) => c.body.deliveryId).slice(3)).toEqual([calls[1]!.body.deliveryId]);
      forwarder.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
