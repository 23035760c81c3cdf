import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { createLogger } from '../../../terminal/logger.js';
import type { DeliveryOutcome } from '../../../terminal/sync/protocol.js';
import type { DeliveryTarget } from '../../../upstream/delivery-send.js';
import { SqliteUpstreamStorage } from '../../../upstream/storage/sqlite/sqlite-storage.js';
import { TransferForwarder } from '../../../upstream/transfer-forwarder.js';
import { cn20, noteOf, signNote } from '../../helpers/receiving-fixture.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const SEED = Number(process.env.TRANSFER_MODEL_SEED ?? 1907);

type Answer = 'accepted' | 'already_imported' | 'store_failed' | 'wrong_store' | 'timeout';
type Op =
  | { kind: 'ingest'; which: number[] }
  | { kind: 'online'; store: 's2' | 's3'; terminal: 'T1' | 'T2' }
  | { kind: 'answer'; pick: number; answer: Answer }
  | { kind: 'late'; record: number };

/**
 * The transfer forwarder against a small model (docs/stock.md "Transfers end to end"), over random
 * sequences of ingests (repeats included), terminals coming online, outcomes (accepted, already
 * imported, transient and final refusals, timeouts) and late outcomes: one row per record; a note is
 * sent only while its row is pending, to the right terminal, one send at a time; delivered and
 * refused are final; a pending note whose receiving terminal comes online is sent. fast-check prints
 * the seed and the shortest failing sequence (TRANSFER_MODEL_SEED replays another).
 */
describe('TransferForwarder model', () => {
  const tmp = makeTempDir('vt-transfer-model-');
  afterAll(() => tmp.cleanup());

  /** Four transfer records of one real `stock_out`: two to s2 (named T2), two to s3 (its only terminal). */
  function records(): LedgerRecord[] {
    const rig = StockRig.create(mkdtempSync(join(tmp.dir, 'a-')));
    const units = [cn20(1), cn20(2)];
    expect(rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-1');
    for (const u of units) s.scan(u);
    s.close({ outcome: 'complete' });
    const o = rig.shipments.open({ kind: 'transfer', reason: 'rebalance', openedBy: 'm', toStoreId: 's2' });
    rig.shipments.scanMany(o.id, units);
    const base = rig.shipments.close(o.id, 'm');
    const payload = base.payload as { shipmentId: string };
    return [0, 1, 2, 3].map((i) => ({
      ...base,
      id: `rec-${i}`,
      payload: {
        ...payload,
        shipmentId: `${payload.shipmentId.slice(0, -1)}${i}`,
        toStoreId: i < 2 ? 's2' : 's3',
      },
    }));
  }
  const all = records();
  const storeOf = (i: number) => (i < 2 ? 's2' : 's3');

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('ingest' as const),
      which: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant('online' as const),
      store: fc.constantFrom('s2' as const, 's3' as const),
      terminal: fc.constantFrom('T1' as const, 'T2' as const),
    }),
    fc.record({
      kind: fc.constant('answer' as const),
      pick: fc.nat(5),
      answer: fc.constantFrom<Answer>(
        'accepted',
        'already_imported',
        'store_failed',
        'wrong_store',
        'timeout',
      ),
    }),
    fc.record({ kind: fc.constant('late' as const), record: fc.nat(3) }),
  );

  it(`one row per record, sends only while pending, final states stay final (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        type Call = {
          recordIndex: number;
          target: DeliveryTarget;
          settle: (answer: Answer) => void;
          settled: boolean;
        };
        const calls: Call[] = [];
        const statuses = new Map<string, unknown>();
        const model = new Map<number, 'pending' | 'delivered' | 'refused'>();
        const violations: string[] = [];
        const indexOf = (deliveryId: string) =>
          all.findIndex((r) => `TR-${(r.payload as { shipmentId: string }).shipmentId}` === deliveryId);
        const s3Terminals = () =>
          [...statuses.keys()].filter((k) => k.startsWith('s3/')).map((k) => k.slice(3));
        const expectedTarget = (store: string) =>
          store === 's2' ? 'T2' : s3Terminals().length === 1 ? s3Terminals()[0] : undefined;
        const forwarder = new TransferForwarder(
          {
            store: new SqliteUpstreamStorage(new Database(':memory:')).deliveries.transfers,
            logger: createLogger({ level: 'silent' }),
            statuses: () => statuses,
            deliveries: {
              send: (target, body) =>
                new Promise<DeliveryOutcome>((resolve, reject) => {
                  const i = indexOf((body as { deliveryId: string }).deliveryId);
                  if (model.get(i) !== 'pending') violations.push(`rec-${i} sent while ${model.get(i)}`);
                  if (calls.some((c) => c.recordIndex === i && !c.settled))
                    violations.push(`rec-${i} sent twice at once`);
                  if (target.terminalId !== expectedTarget(target.storeId))
                    violations.push(`rec-${i} sent to ${target.storeId}/${target.terminalId}`);
                  const call: Call = {
                    recordIndex: i,
                    target,
                    settled: false,
                    settle: (answer) => {
                      call.settled = true;
                      if (answer === 'timeout')
                        return reject(Object.assign(new Error('late'), { code: 'delivery_timeout' }));
                      const refused = answer === 'store_failed' || answer === 'wrong_store';
                      resolve({
                        v: 1,
                        id: `n${calls.length}`,
                        at: 'now',
                        status: refused ? 'refused' : answer,
                        ...(refused ? { code: answer } : {}),
                      });
                    },
                  };
                  calls.push(call);
                }),
            },
          },
          { receivingTerminals: { s2: 'T2' }, retryDelayMs: 0, timeoutMs: 1000, ttlMs: 3_600_000 },
        );
        // retryDelayMs 0: a retry is one timer turn, its send's outcome a few promise turns.
        // A timer set after the retry's (Node runs timers of equal delay in the order they were set).
        const flush = async () => {
          await new Promise((resolve) => setTimeout(resolve, 0));
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
        };
        const settleModel = (i: number, answer: Answer) => {
          if (model.get(i) !== 'pending') return;
          if (answer === 'accepted' || answer === 'already_imported') model.set(i, 'delivered');
          if (answer === 'wrong_store') model.set(i, 'refused');
        };
        for (const o of ops) {
          const fresh = new Set<number>();
          if (o.kind === 'ingest') {
            for (const i of o.which)
              if (!model.has(i)) {
                model.set(i, 'pending');
                fresh.add(i);
              }
            await forwarder.noteAccepted(
              's1',
              't1',
              o.which.map((i) => all[i]!),
            );
          } else if (o.kind === 'online') {
            const doc = { state: 'online' };
            statuses.set(`${o.store}/${o.terminal}`, doc);
            forwarder.onStatus({ storeId: o.store, terminalId: o.terminal, doc });
          } else if (o.kind === 'answer') {
            const open = calls.filter((c) => !c.settled);
            const call = open[o.pick % Math.max(1, open.length)];
            if (call) {
              call.settle(o.answer);
              settleModel(call.recordIndex, o.answer);
            }
          } else {
            const r = all[o.record]!;
            const deliveryId = `TR-${(r.payload as { shipmentId: string }).shipmentId}`;
            await forwarder.onOutcome({
              storeId: storeOf(o.record),
              terminalId: 'T2',
              v: 1,
              id: 'late',
              at: 'now',
              status: 'accepted',
              deliveryId,
            });
            settleModel(o.record, 'accepted');
          }
          await flush();
          const rows = await forwarder.list();
          expect(violations).toEqual([]);
          expect(rows.map((r) => r.recordId).sort()).toEqual([...model.keys()].sort().map((i) => `rec-${i}`));
          for (const r of rows)
            expect([r.recordId, r.state]).toEqual([r.recordId, model.get(Number(r.recordId.slice(4)))]);
          // A pending note whose receiving terminal just came online (or first ingested just now with a
          // terminal known: a re-ingest sends nothing) is on its way.
          if (o.kind === 'online' || o.kind === 'ingest')
            for (const [i, state] of model) {
              const target = expectedTarget(storeOf(i));
              const justNow =
                o.kind === 'ingest' ? fresh.has(i) : target === o.terminal && storeOf(i) === o.store;
              if (state !== 'pending' || !target || !justNow) continue;
              expect(
                calls.some((c) => c.recordIndex === i && !c.settled),
                `rec-${i} not sent`,
              ).toBe(true);
            }
        }
        forwarder.stop();
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
