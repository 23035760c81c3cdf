import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StockStore } from '../../../terminal/stock/stock-store.js';
import { StocktakeService, stocktakeCsv } from '../../../terminal/stock/stocktake-service.js';
import { cn20, noteOf, pallet, signNote, sscc } from '../../helpers/receiving-fixture.js';
import { keysOf, replayStock, StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const PRODUCT = '6900001';
let tmp: ReturnType<typeof makeTempDir>;
let rig: StockRig;

// D-1: pallet 1 (cases 1001, 1002 of 3 units: 0–5), 2 loose units (200, 201), all checked in;
// cn20(4) is recalled in the registry, cn20(5) of a batch past its expiry.
beforeEach(() => {
  tmp = makeTempDir('vt-stock-ops-');
  rig = StockRig.create(tmp.dir, undefined, {
    products: [{ key: PRODUCT, names: { 'zh-CN': '药', en: 'Medicine' }, manufacturer: 'M', covered: false }],
    batches: [
      { productKey: PRODUCT, number: 'B-OLD', expiryDate: '2026-01-31', recalled: false },
      { productKey: PRODUCT, number: 'B-OK', expiryDate: '2028-01-31', recalled: false },
    ],
    units: [
      { key: cn20(4), status: 'recalled', productKey: PRODUCT, batchNumber: 'B-OK' },
      { key: cn20(5), status: 'active', productKey: PRODUCT, batchNumber: 'B-OLD' },
    ],
    state: {
      scope: 'cn',
      version: 1,
      asOf: '2026-12-07T00:00:00Z',
      expires: '2027-01-01T00:00:00Z',
      units: 2,
      contentHash: 'x',
    },
  });
  const note = noteOf({ deliveryId: 'D-1', pallets: [pallet(1, 2, 3, 0)], units: [cn20(200), cn20(201)] });
  expect(rig.import(signNote(note, rig.keys.privateKey)).ok).toBe(true);
  const s = rig.session('D-1');
  s.scan(`]C100${sscc(1)}`);
  s.scan(cn20(200));
  s.scan(cn20(201));
  s.close({ outcome: 'complete' });
});
afterEach(() => {
  rig.close();
  tmp.cleanup();
});

describe('stocktake', () => {
  it('reports missing, extra (not received, sold) and bad units; closes with a signed record; a manager accepts', () => {
    rig.sell([cn20(201)]);
    const t = rig.stocktakes.open({ scope: 'all', openedBy: 'clerk-1' });
    // Case 1001 counts its 3 units; case 1002 is scanned unit by unit, missing cn20(5).
    expect(rig.stocktakes.scan(t.id, `]C100${sscc(1001)}`)).toMatchObject({
      ok: true,
      result: 'found',
      target: 'case',
      units: 3,
    });
    const answers = rig.stocktakes.scanMany(t.id, [
      cn20(3),
      cn20(4),
      cn20(201),
      cn20(999),
      cn20(3),
      'garbage',
    ]);
    expect(answers.map((a) => [a.result, a.problems.map((p) => p.code)])).toEqual([
      ['found', []],
      ['found', ['recalled']],
      ['extra', ['extra']],
      ['extra', ['extra']],
      ['already_scanned', []],
      ['unreadable', ['unreadable']],
    ]);
    expect(answers[2]!.state).toBe('sold');
    const report = rig.stocktakes.report(t.id);
    expect(report).toMatchObject({ expected: 7, found: 5 });
    expect(keysOf(report.missing).sort()).toEqual([cn20(200), cn20(5)].sort());
    expect(keysOf(report.extra.notReceived)).toEqual([cn20(999)]);
    expect(keysOf(report.extra.sold)).toEqual([cn20(201)]);
    expect(report.bad).toEqual([{ key: cn20(4), reason: 'recalled' }]);

    const record = rig.stocktakes.close(t.id);
    expect(record.type).toBe('stocktake');
    expect(record.payload).toEqual(report);
    expect(rig.ledger.verifyChain(undefined, { payloads: true }).ok).toBe(true);
    expect(rig.stocktakes.scan(t.id, cn20(0))).toMatchObject({ ok: false, result: 'session_closed' });
    expect(() => rig.stocktakes.close(t.id)).toThrow(/is closed/);
    const csv = rig.stocktakes.csv(t.id);
    expect(csv).toBe(stocktakeCsv(report));
    expect(csv.split('\n')).toEqual([
      'code,product,difference,detail',
      expect.stringMatching(/^6900001\d{13},6900001,missing,/),
      expect.stringMatching(/^6900001\d{13},6900001,missing,/),
      `${cn20(999)},${PRODUCT},extra,not received here`,
      `${cn20(201)},${PRODUCT},extra,sold here: take it back with a return`,
      `${cn20(4)},${PRODUCT},bad,recalled`,
      '',
    ]);
    // Stock is unchanged until a manager accepts.
    expect(rig.stock.reader.unit(cn20(5)).state).toBe('on_hand');

    const { record: adj, skipped } = rig.stocktakes.accept(t.id, {
      approvedBy: 'mgr-1',
      reason: 'annual count',
    });
    expect(adj.type).toBe('stock_adjustment');
    expect(keysOf(adj.payload.out).sort()).toEqual([cn20(200), cn20(5)].sort());
    expect(keysOf(adj.payload.in)).toEqual([cn20(999)]);
    expect(skipped).toEqual([{ key: cn20(201), code: 'sold_use_return' }]);
    expect(rig.stock.reader.unit(cn20(5)).state).toBe('lost');
    expect(rig.stock.reader.unit(cn20(999))).toMatchObject({ state: 'on_hand', onHand: true });
    expect(rig.stock.reader.countsByProduct()).toEqual([
      {
        productKey: PRODUCT,
        received: 8,
        foundIn: 1,
        sold: 1,
        returnedToSupplier: 0,
        transferred: 0,
        destroyed: 0,
        lost: 2,
        onHand: 6,
      },
    ]);
    expect(() => rig.stocktakes.accept(t.id, { approvedBy: 'mgr-1', reason: 'again' })).toThrow(
      /accepted already/,
    );
    expect(replayStock(rig.ledger.records(0, 1000))).toEqual(rig.onHand());
  });

  it('a scoped stocktake counts only its products; an accept of listed codes adjusts only those', () => {
    const note = noteOf({ deliveryId: 'D-2', units: [cn20(10, 1), cn20(11, 1)] });
    expect(rig.import(signNote(note, rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-2');
    s.scan(cn20(10, 1));
    s.scan(cn20(11, 1));
    s.close({ outcome: 'complete' });
    const t = rig.stocktakes.open({ scope: ['6900002'], openedBy: 'clerk' });
    // A unit of another product on hand is not a difference of this stocktake.
    rig.stocktakes.scanMany(t.id, [cn20(10, 1), cn20(0)]);
    const r = rig.stocktakes.close(t.id).payload;
    expect(r).toMatchObject({ scope: ['6900002'], expected: 2, found: 1 });
    expect(keysOf(r.missing)).toEqual([cn20(11, 1)]);
    expect(keysOf(r.extra.notReceived)).toEqual([]);
    const out = rig.stocktakes.accept(t.id, {
      approvedBy: 'mgr',
      reason: 'shelf 4',
      missing: [cn20(11, 1), cn20(0)],
      extra: [],
    });
    expect(keysOf(out.record.payload.out)).toEqual([cn20(11, 1)]);
    expect(out.skipped).toEqual([{ key: cn20(0), code: 'not_a_difference' }]);
  });

  it('refuses what it cannot do, naming it, and changes nothing', () => {
    expect(() => rig.stocktakes.open({ scope: [], openedBy: 'c' })).toThrow(/scope/);
    expect(() => rig.stocktakes.scan('nope', cn20(0))).toThrow(/No stocktake nope/);
    const t = rig.stocktakes.open({ scope: 'all', openedBy: 'c' });
    expect(() => rig.stocktakes.scanMany(t.id, [])).toThrow(/1 to 1000 codes/);
    expect(() => rig.stocktakes.scanMany(t.id, Array(1001).fill(cn20(0)))).toThrow(/got 1001/);
    expect(() => rig.stocktakes.accept(t.id, { approvedBy: 'm', reason: 'x' })).toThrow(/close it first/);
    const head = rig.ledger.headSeq();
    rig.stocktakes.scanMany(t.id, [
      cn20(0),
      cn20(1),
      cn20(2),
      cn20(3),
      cn20(4),
      cn20(5),
      cn20(200),
      cn20(201),
    ]);
    rig.stocktakes.close(t.id);
    expect(() => rig.stocktakes.accept(t.id, { approvedBy: 'm', reason: ' ' })).toThrow(/needs a reason/);
    expect(() => rig.stocktakes.accept(t.id, { approvedBy: 'm', reason: 'x' })).toThrow(/no difference/);
    expect(rig.ledger.headSeq()).toBe(head + 1);
  });

  it('bounds what a caller can make it keep: scans per stocktake, open sessions per type', () => {
    const small = new StocktakeService({ store: rig.stock, ledger: rig.ledger, maxScans: 3 });
    const t = small.open({ scope: 'all', openedBy: 'c' });
    small.scanMany(t.id, [cn20(0), cn20(1), cn20(0)]);
    expect(rig.stock.unitCount(t.id)).toBe(2);
    expect(() => small.scanMany(t.id, [cn20(2), cn20(3)])).toThrow(/at most 3 units/);
    expect(rig.stock.unitCount(t.id)).toBe(2);
    small.scan(t.id, cn20(2));
    for (let i = 1; i < 50; i++) small.open({ scope: 'all', openedBy: 'c' });
    expect(() => small.open({ scope: 'all', openedBy: 'c' })).toThrow(/50 stocktakes are open already/);
    // Shipments have their own bound; closing a stocktake frees a place.
    rig.shipments.open({ kind: 'destruction', reason: 'expired', openedBy: 'm' });
    small.close(t.id);
    expect(small.open({ scope: 'all', openedBy: 'c' }).state).toBe('open');
  });

  it('refuses to close a stocktake with more differences than one record may hold', () => {
    const small = new StocktakeService({ store: rig.stock, ledger: rig.ledger, maxDifferences: 1 });
    const t = small.open({ scope: 'all', openedBy: 'c' });
    small.scanMany(t.id, [cn20(0), cn20(1), cn20(2), cn20(3), cn20(4), cn20(5)]);
    const head = rig.ledger.headSeq();
    expect(() => small.close(t.id)).toThrow(/has 2 differences, more than one record holds \(1\)/);
    expect(rig.ledger.headSeq()).toBe(head);
    expect(small.session(t.id).state).toBe('open');
  });
});

describe('split packs (拆零) in stock', () => {
  it('a pack sold in parts reads on hand and opened with its parts left, and can still be shipped out', () => {
    // The split-pack projection as the checkout's ledger keeps it (terminal/ledger/split-parts.ts),
    // made here when this ledger does not keep one; its rows name real records (foreign keys).
    rig.db.exec(`CREATE TABLE IF NOT EXISTS ledger_split_parts (
       seq INTEGER NOT NULL, line INTEGER NOT NULL, code_key TEXT NOT NULL,
       quantity INTEGER NOT NULL, pack_quantity INTEGER NOT NULL, returned_seq INTEGER,
       PRIMARY KEY (seq, line)) WITHOUT ROWID`);
    const [a, b] = [
      rig.ledger.append('receipt_printed', { saleId: 'a' }),
      rig.ledger.append('receipt_printed', { saleId: 'b' }),
    ];
    const parts = rig.db.prepare(
      'INSERT INTO ledger_split_parts (seq, line, code_key, quantity, pack_quantity, returned_seq) VALUES (?, 0, ?, ?, 10, ?)',
    );
    parts.run(a.seq, cn20(0), 3, null);
    parts.run(b.seq, cn20(0), 2, b.seq); // a returned part counts again
    const stock = new StockStore(rig.db).reader;
    expect(stock.unit(cn20(0))).toEqual({
      key: cn20(0),
      state: 'on_hand',
      onHand: true,
      deliveryId: 'D-1',
      opened: { remaining: 7, packQuantity: 10 },
    });
    expect(stock.unit(cn20(1))).not.toHaveProperty('opened');
    const s = rig.shipments.open({ kind: 'destruction', reason: 'damaged', openedBy: 'm' });
    expect(rig.shipments.scan(s.id, cn20(0))).toMatchObject({ result: 'added' });
    rig.shipments.close(s.id, 'm');
    expect(stock.unit(cn20(0))).toEqual({
      key: cn20(0),
      state: 'destroyed',
      onHand: false,
      deliveryId: 'D-1',
    });
  });
});

describe('shipping out', () => {
  it('destroys units with a signed record; a destroyed unit cannot be shipped, destroyed or adjusted in again', () => {
    const s = rig.shipments.open({ kind: 'destruction', reason: 'expired', openedBy: 'mgr' });
    expect(rig.shipments.scanMany(s.id, [cn20(5), cn20(5)]).map((a) => a.result)).toEqual([
      'added',
      'already_scanned',
    ]);
    const record = rig.shipments.close(s.id, 'mgr-1');
    expect(record.payload).toMatchObject({
      shipmentId: s.id,
      kind: 'destruction',
      reason: 'expired',
      approvedBy: 'mgr-1',
      containers: [],
      units: { [PRODUCT]: [cn20(5).slice(7)] },
    });
    expect(rig.stock.reader.unit(cn20(5)).state).toBe('destroyed');
    const again = rig.shipments.open({ kind: 'destruction', reason: 'damaged', openedBy: 'mgr' });
    expect(rig.shipments.scan(again.id, cn20(5))).toMatchObject({
      ok: false,
      result: 'refused',
      state: 'destroyed',
      problems: [{ code: 'destroyed' }],
    });
    const t = rig.stocktakes.open({ scope: 'all', openedBy: 'c' });
    rig.stocktakes.scan(t.id, cn20(5));
    rig.stocktakes.close(t.id);
    // Its only difference is the destroyed unit on the shelf: nothing can be adjusted.
    expect(() => rig.stocktakes.accept(t.id, { approvedBy: 'm', reason: 'count', missing: [] })).toThrow(
      /no difference can be adjusted \(1 skipped\)/,
    );
    expect(rig.stock.reader.unit(cn20(5)).state).toBe('destroyed');
  });

  it('a case label ships its units on hand; a unit sold after its scan stops the close until removed', () => {
    rig.sell([cn20(0)]);
    const s = rig.shipments.open({ kind: 'transfer', reason: 'rebalance', toStoreId: 's2', openedBy: 'mgr' });
    expect(rig.shipments.scan(s.id, `]C100${sscc(1001)}`)).toMatchObject({
      ok: false,
      result: 'added',
      target: 'case',
      units: 2,
      problems: [{ code: 'units_not_on_hand' }],
    });
    expect(rig.shipments.scan(s.id, cn20(3))).toMatchObject({ result: 'added', units: 1 });
    rig.sell([cn20(3)]);
    const head = rig.ledger.headSeq();
    expect(() => rig.shipments.close(s.id, 'mgr')).toThrow(
      /no longer on hand.*69000010000000030000 \(not_on_hand\)/,
    );
    expect(rig.ledger.headSeq()).toBe(head);
    expect(rig.stock.reader.unit(cn20(1)).state).toBe('on_hand');
    expect(rig.shipments.removeMany(s.id, [cn20(3)])[0]).toMatchObject({ result: 'removed', units: 1 });
    const record = rig.shipments.close(s.id, 'mgr');
    expect(record.payload).toMatchObject({
      kind: 'transfer',
      toStoreId: 's2',
      containers: [`00${sscc(1001)}`],
    });
    expect(keysOf(record.payload.units)).toEqual([cn20(1), cn20(2)]);
    expect(rig.stock.reader.unit(cn20(1)).state).toBe('transferred');
    expect(replayStock(rig.ledger.records(0, 1000))).toEqual(rig.onHand());
  });

  it('checks the request: counterpart per kind, a note for other, not to this store; cancel writes nothing', () => {
    const open = (r: object) => () =>
      rig.shipments.open({ reason: 'overstock', openedBy: 'm', ...r } as never);
    expect(open({ kind: 'transfer' })).toThrow(/toStoreId/);
    expect(open({ kind: 'transfer', toStoreId: 's1' })).toThrow(/is this store/);
    // Upstream addresses the receiving store on vt/{toStoreId}/…: an id that is not one topic level is refused.
    expect(open({ kind: 'transfer', toStoreId: 'S2/T2/cmd' })).toThrow(/expected a store id/);
    expect(open({ kind: 'transfer', toStoreId: '#' })).toThrow(/expected a store id/);
    expect(open({ kind: 'return_to_supplier' })).toThrow(/supplierId/);
    expect(open({ kind: 'destruction', supplierId: 'x' })).toThrow(/returns to supplier only/);
    expect(open({ kind: 'destruction', reason: 'other' })).toThrow(/needs a note/);
    const s = rig.shipments.open({
      kind: 'return_to_supplier',
      supplierId: 'sup-1',
      reason: 'recalled',
      openedBy: 'm',
    });
    rig.shipments.scan(s.id, cn20(4));
    const head = rig.ledger.headSeq();
    rig.shipments.cancel(s.id);
    expect(rig.ledger.headSeq()).toBe(head);
    expect(rig.stock.reader.unit(cn20(4)).state).toBe('on_hand');
    expect(rig.shipments.scan(s.id, cn20(1))).toMatchObject({ result: 'session_closed' });
    expect(() => rig.shipments.close(s.id, 'm')).toThrow(/cancelled/);
  });
});
