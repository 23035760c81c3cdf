import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { ReceivingSession } from '../../../terminal/receiving/checkin-service.js';
import { importDeliveryNote } from '../../../terminal/receiving/import-note.js';
import { ReceivingStore } from '../../../terminal/receiving/receiving-store.js';
import { StockReader } from '../../../terminal/receiving/stock.js';
import { MemoryRegistry } from '../../../terminal/registry/testing/memory-registry.js';
import type { RegistryUnit } from '../../../terminal/registry/types.js';
import { SyncStore } from '../../../terminal/sync/sync-store.js';
import { buildDeliveryNote } from '../../../upstream/delivery-send.js';
import { IngestStore } from '../../../upstream/ingest-store.js';
import { unitAfter } from '../../../upstream/registry-delta-builder.js';
import { foldUnitEvents } from '../../../upstream/registry-publisher.js';
import { transferNoteBody } from '../../../upstream/transfer-note.js';
import { cn20, NOW, noteOf, signNote } from '../../helpers/receiving-fixture.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * Stock operations reach upstream like sales: ingested once, one unit event per unit, a destroyed
 * or returned-to-supplier unit published in the registry delta, a transfer turned into a signed
 * delivery note the receiving store imports and checks in.
 */
describe('stock records upstream', () => {
  const tmp = makeTempDir('vt-stock-ingest-');
  afterAll(() => tmp.cleanup());
  const upstreamKey = generateKeyPairSync('ed25519');

  const storeA = () => {
    const rig = StockRig.create(mkdtempSync(join(tmp.dir, 'a-')));
    const units = Array.from({ length: 6 }, (_, i) => cn20(i));
    expect(rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-1');
    for (const u of units) s.scan(u);
    s.close({ outcome: 'complete' });
    const ship = (kind: 'destruction' | 'return_to_supplier' | 'transfer', keys: string[]) => {
      const extra =
        kind === 'transfer'
          ? { toStoreId: 's2' }
          : kind === 'return_to_supplier'
            ? { supplierId: 'sup-1' }
            : {};
      const o = rig.shipments.open({
        kind,
        reason: kind === 'destruction' ? 'damaged' : 'overstock',
        openedBy: 'm',
        ...extra,
      });
      rig.shipments.scanMany(o.id, keys);
      return rig.shipments.close(o.id, 'mgr');
    };
    ship('destruction', [cn20(0)]);
    ship('return_to_supplier', [cn20(1)]);
    const transfer = ship('transfer', [cn20(2), cn20(3)]);
    const t = rig.stocktakes.open({ scope: 'all', openedBy: 'c' });
    rig.stocktakes.scan(t.id, cn20(4));
    rig.stocktakes.close(t.id);
    rig.stocktakes.accept(t.id, { approvedBy: 'mgr', reason: 'count' });
    return { rig, transfer };
  };

  it('ingests every stock record once, with one event per unit; a resend adds nothing', () => {
    const { rig } = storeA();
    const up = new IngestStore(openDatabase(join(tmp.dir, 'up-1.db')));
    up.enrol('s1', 't1', rig.identity.publicKeyPem);
    const records = rig.ledger.pending(0, 100);
    expect(records.map((r) => r.type)).toEqual([
      'receipt',
      'stock_out',
      'stock_out',
      'stock_out',
      'stocktake',
      'stock_adjustment',
    ]);
    expect(up.ingest('s1', 't1', records)).toMatchObject({ ackSeq: 6, unitEvents: 6 + 1 + 1 + 2 + 1 });
    expect(up.ingest('s1', 't1', records)).toMatchObject({ ackSeq: 6, duplicates: 6, unitEvents: 0 });
    const events = up.unpublishedUnitEvents().filter((e) => e.status !== 'received');
    expect(events.map((e) => [e.key, e.status])).toEqual([
      [cn20(0), 'destroyed'],
      [cn20(1), 'returned_to_supplier'],
      [cn20(2), 'transferred'],
      [cn20(3), 'transferred'],
      [cn20(5), 'lost'],
    ]);
    expect(up.alerts()).toEqual([]);
    // The delta carries the destruction and the return to supplier only (stock at one store is not registry state).
    expect(foldUnitEvents(up.unpublishedUnitEvents())).toEqual([
      { key: cn20(0), status: 'destroyed', leftAt: { store: 's1', at: expect.any(String), terminal: 't1' } },
      { key: cn20(1), status: 'returned_to_supplier', leftAt: expect.objectContaining({ store: 's1' }) },
    ]);
    rig.close();
  });

  it('a destruction is final within a delta, and the registry entry reads destroyed', () => {
    const ev = (id: number, status: string, storeId = 's1') =>
      ({ id, key: 'K', status, storeId, terminalId: 't1', at: `2026-12-07T10:0${id}:00Z` }) as never;
    expect(foldUnitEvents([ev(1, 'sold'), ev(2, 'active'), ev(3, 'destroyed'), ev(4, 'sold', 's9')])).toEqual(
      [expect.objectContaining({ key: 'K', status: 'destroyed' })],
    );
    const unit = (status: RegistryUnit['status']): RegistryUnit => ({ key: 'K', status, productKey: 'P' });
    const destroyed = { key: 'K', status: 'destroyed' as const };
    expect(unitAfter(unit('active'), destroyed)).toEqual(unit('destroyed'));
    expect(unitAfter({ ...unit('sold'), soldAt: { store: 's', at: 'x' } }, destroyed)).toEqual(
      unit('destroyed'),
    );
    expect(unitAfter(unit('recalled'), destroyed)).toBeUndefined();
    const back = { key: 'K', status: 'returned_to_supplier' as const };
    expect(unitAfter(unit('received'), back)).toEqual(unit('active'));
    expect(unitAfter(unit('active'), back)).toBeUndefined();
    expect(
      unitAfter(unit('destroyed'), { key: 'K', status: 'sold', soldAt: { store: 's', at: 'x' } }),
    ).toBeUndefined();
  });

  it('a transfer becomes a signed delivery note that store s2 imports once and checks in', () => {
    const { rig, transfer } = storeA();
    // As upstream's transfer forwarder does: the transfer's note body, signed by DeliverySender.
    const notes = rig.ledger
      .pending(0, 100)
      .filter((r) => r.type === 'stock_out' && (r.payload as { kind?: unknown }).kind === 'transfer')
      .map((r) => transferNoteBody(r))
      .map(({ storeId, body }) => ({
        storeId,
        body,
        note: buildDeliveryNote(body, { storeId }, upstreamKey.privateKey, { now: NOW })
          .doc as unknown as Record<string, unknown>,
      }));
    expect(notes).toEqual([
      {
        storeId: 's2',
        body: expect.objectContaining({ deliveryId: `TR-${transfer.payload.shipmentId}` }),
        note: expect.objectContaining({ kind: 'delivery_note' }),
      },
    ]);
    expect(notes[0]!.note.note).toEqual(notes[0]!.body);
    const note = notes[0]!.note;
    expect(note).toMatchObject({
      target: { storeId: 's2' },
      note: {
        deliveryId: `TR-${transfer.payload.shipmentId}`,
        supplier: { id: 's1' },
        units: [cn20(2), cn20(3)],
      },
    });
    expect(() => transferNoteBody(rig.ledger.pending(0, 1)[0]!)).toThrow(/not a stock_out of kind transfer/);

    // Store s2's terminal: the note checks with upstream's key and store id, then is received.
    const db = openDatabase(join(tmp.dir, `s2-${Math.random().toString(36).slice(2)}.db`));
    const store = new ReceivingStore(db);
    const ctx = {
      store,
      nonces: new SyncStore(db),
      keys: [upstreamKey.publicKey],
      storeId: 's2',
      maxClockSkewMs: 60_000,
      nowMs: NOW,
    };
    expect(importDeliveryNote(note, ctx)).toMatchObject({ ok: true });
    expect(importDeliveryNote(note, ctx)).toMatchObject({ ok: false, code: 'replayed' });
    expect(
      importDeliveryNote({ ...note, target: { storeId: 's3' } }, { ...ctx, storeId: 's3' }),
    ).toMatchObject({
      ok: false,
      code: 'bad_signature',
    });
    const ledger = StockRig.ledgerOn(db);
    const s = new ReceivingSession(
      { store, ledger, registry: new MemoryRegistry({ products: [], batches: [], units: [] }) },
      `TR-${transfer.payload.shipmentId}`,
    );
    s.scan(cn20(2));
    s.scan(cn20(3));
    s.close({ outcome: 'complete' });
    expect(new StockReader(db).unit(cn20(2))).toMatchObject({ state: 'on_hand', onHand: true });
    ledger.close();
    db.close();
    rig.close();
  });
});
