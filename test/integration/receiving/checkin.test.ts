import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReceiptPayload } from '../../../terminal/ledger/payloads.js';
import { decodePayload } from '../../../terminal/ledger/record-decoders.js';
import { StockReader, stockCsv } from '../../../terminal/receiving/stock.js';
import { salePayload } from '../../helpers/ledger-payloads.js';
import { cn20, noteOf, pallet, ReceivingRig, signNote, sscc } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const PRODUCT = '6900001';
let tmp: ReturnType<typeof makeTempDir>;
let rig: ReceivingRig;
let stock: StockReader;

beforeEach(() => {
  tmp = makeTempDir('vt-receiving-checkin-');
  rig = ReceivingRig.create(tmp.dir, undefined, {
    products: [{ key: PRODUCT, names: { 'zh-CN': '药', en: 'Medicine' }, manufacturer: 'M', covered: false }],
    batches: [
      { productKey: PRODUCT, number: 'B-OLD', expiryDate: '2026-01-31', recalled: false },
      { productKey: PRODUCT, number: 'B-OK', expiryDate: '2028-01-31', recalled: false },
    ],
    units: [
      { key: cn20(4), status: 'recalled', productKey: PRODUCT, batchNumber: 'B-OK' },
      { key: cn20(5), status: 'active', productKey: PRODUCT, batchNumber: 'B-OLD' },
      {
        key: cn20(6),
        status: 'sold',
        productKey: PRODUCT,
        soldAt: { store: 's9', at: '2026-11-01T00:00:00Z' },
      },
    ],
    state: {
      scope: 'cn',
      version: 1,
      asOf: '2026-12-07T00:00:00Z',
      expires: '2027-01-01T00:00:00Z',
      units: 3,
      contentHash: 'x',
    },
  });
  stock = new StockReader(rig.db);
  // D-1: pallet 1 (cases 1001, 1002 of 3 units: 0–5), pallet 2 (cases 2001, 2002: 100–105), 2 loose units.
  const note = noteOf({
    deliveryId: 'D-1',
    pallets: [pallet(1, 2, 3, 0), pallet(2, 2, 3, 100)],
    units: [cn20(200), cn20(201)],
  });
  expect(rig.import(signNote(note, rig.keys.privateKey)).ok).toBe(true);
  expect(
    rig.import(signNote(noteOf({ deliveryId: 'D-2', units: [cn20(300)] }), rig.keys.privateKey)).ok,
  ).toBe(true);
});
afterEach(() => {
  rig.close();
  tmp.cleanup();
});

const units = (from: number, n: number) => Array.from({ length: n }, (_, i) => cn20(from + i));
const onHand = (keys: string[]) => keys.map((k) => stock.unit(k).state);

describe('check-in', () => {
  it('one SSCC scan checks in the pallet, its cases and all their units; a repeat is harmless', () => {
    const s = rig.session('D-1');
    const a = s.scan(`]C100${sscc(2)}`);
    expect(a).toMatchObject({ ok: true, action: 'checked_in', target: 'pallet', checkedIn: 6, problems: [] });
    expect(onHand(units(100, 6))).toEqual(Array(6).fill('on_hand'));
    expect(onHand(units(0, 1))).toEqual(['expected']);
    expect(s.counts()).toEqual({ expected: 14, received: 6, missing: 8, putAside: 0, extra: 0 });
    for (const again of [`]C100${sscc(2)}`, `(00)${sscc(2001)}`, cn20(101)]) {
      expect(s.scan(again)).toMatchObject({
        ok: true,
        action: 'none',
        checkedIn: 0,
        problems: [{ code: 'already_checked_in' }],
      });
    }
    expect(s.counts().received).toBe(6);
  });

  it('a unit scan opens its case: the case label then says so, and the pallet scan checks in the rest', () => {
    const s = rig.session('D-1');
    expect(s.scan(cn20(0))).toMatchObject({ ok: true, action: 'checked_in', target: 'unit', checkedIn: 1 });
    expect(s.scan(`00${sscc(1001)}`)).toMatchObject({
      ok: false,
      action: 'none',
      problems: [{ code: 'container_opened' }],
    });
    const p = s.scan(`]C100${sscc(1)}`);
    expect(p).toMatchObject({ ok: false, action: 'checked_in', checkedIn: 3 });
    expect(p.problems.map((x) => [x.code, x.key])).toEqual([
      ['container_opened', `00${sscc(1001)}`],
      ['recalled', cn20(4)],
      ['expired', cn20(5)],
    ]);
    // Case 1001 was opened: only its scanned unit is in.
    expect(onHand(units(0, 6))).toEqual(['on_hand', 'expected', 'expected', 'on_hand', 'on_hand', 'on_hand']);
    expect(s.open(`00${sscc(2001)}`)).toMatchObject({ ok: true, action: 'opened', target: 'case' });
    expect(s.scan(`00${sscc(2)}`)).toMatchObject({ checkedIn: 3, problems: [{ code: 'container_opened' }] });
  });

  it('names what is wrong: foreign (none, or another note), already sold, unreadable; put aside is not stock', () => {
    const s = rig.session('D-1');
    expect(s.scan(cn20(9999))).toMatchObject({
      ok: false,
      target: 'unit',
      problems: [{ code: 'foreign', message: 'not on this delivery note' }],
    });
    expect(s.scan(cn20(300))).toMatchObject({
      ok: false,
      problems: [{ code: 'foreign', message: 'not on this delivery note (it is on D-2)' }],
    });
    expect(s.scan(`]C100${sscc(777)}`)).toMatchObject({
      ok: false,
      target: 'unknown',
      problems: [{ code: 'foreign' }],
    });
    expect(s.scan('hello')).toMatchObject({ ok: false, problems: [{ code: 'unreadable' }] });
    // Sold here before it was received (a resold pack), and sold upstream (registry).
    rig.ledger.transaction(() => {
      const sale = rig.ledger.append('sale', salePayload([cn20(200)]));
      rig.ledger.append('write_off', { codeKey: cn20(200), saleId: sale.id, line: 0 });
    });
    expect(s.scan(cn20(200))).toMatchObject({
      ok: false,
      checkedIn: 1,
      problems: [{ code: 'already_sold' }],
    });
    expect(s.scan(`00${sscc(1002)}`).problems.map((p) => p.code)).toEqual(['recalled', 'expired']);
    expect(s.putAside(cn20(4), 'recalled')).toMatchObject({ ok: true, action: 'put_aside' });
    expect(s.putAside(cn20(9999), 'foreign')).toMatchObject({
      action: 'put_aside',
      problems: [{ code: 'foreign' }],
    });
    expect(s.scan(cn20(4))).toMatchObject({ ok: false, problems: [{ code: 'put_aside_earlier' }] });
    expect(onHand([cn20(3), cn20(4), cn20(5), cn20(200), cn20(9999)])).toEqual([
      'on_hand',
      'put_aside',
      'on_hand',
      'sold',
      'not_received',
    ]);
    // Three codes not on the note were scanned (9999 twice: once scanned, once put aside).
    expect(s.counts()).toEqual({ expected: 14, received: 3, missing: 10, putAside: 1, extra: 3 });
  });

  it('closing writes one receipt record that verifies, decodes and lists accepted, missing and exceptions', () => {
    const s = rig.session('D-1');
    s.scan(`]C100${sscc(1)}`);
    s.scan(cn20(100));
    s.scan(cn20(200));
    s.putAside(cn20(4), 'damaged');
    s.scan(cn20(9999));
    expect(() => s.close({ outcome: 'complete' })).toThrow(/delivery_incomplete|missing/);
    expect(() => s.close({ outcome: 'partial', reason: ' ' })).toThrow(/reason/);
    const seqBefore = rig.ledger.headSeq();
    const record = s.close({ outcome: 'partial', reason: 'pallet 2 short' });
    expect(rig.ledger.headSeq()).toBe(seqBefore + 1);
    expect(record.type).toBe('receipt');
    const p: ReceiptPayload = record.payload;
    expect(p).toMatchObject({
      deliveryId: 'D-1',
      supplierId: 'sup-1',
      outcome: 'partial',
      reason: 'pallet 2 short',
      expectedUnits: 14,
      containers: [`00${sscc(1)}`],
      missing: { containers: [`00${sscc(2002)}`] },
    });
    const rest = (n: number) => cn20(n).slice(7);
    expect(p.units).toEqual({ [PRODUCT]: [0, 1, 2, 3, 5, 100, 200].map(rest) });
    expect(p.missing.units).toEqual({ [PRODUCT]: [101, 102, 201].map(rest) });
    expect(p.exceptions).toEqual([
      { key: cn20(4), reason: 'recalled' },
      { key: cn20(5), reason: 'expired' },
      { key: cn20(4), reason: 'damaged', putAside: true },
      { key: cn20(9999), reason: 'foreign' },
    ]);
    expect(rig.ledger.verifyChain(undefined, { payloads: true })).toMatchObject({ ok: true });
    const stored = rig.ledger.pending(0, 100).find((r) => r.type === 'receipt')!;
    const decoded = decodePayload(stored.type, stored.payload);
    expect(decoded.ok && decoded.unitChanges.map((c) => `${c.key}:${c.status}`)).toEqual(
      [0, 1, 2, 3, 5, 100, 200].map((n) => `${cn20(n)}:received`),
    );
    expect(rig.store.noteByDeliveryId('D-1')).toMatchObject({
      state: 'closed',
      outcome: 'partial',
      receiptId: record.id,
    });
    // Closed: nothing changes any more; the unit lists are gone, the stock stays.
    expect(s.scan(cn20(101))).toMatchObject({ ok: false, problems: [{ code: 'delivery_closed' }] });
    expect(() => s.close({ outcome: 'partial', reason: 'again' })).toThrow(/closed/);
    expect(s.counts()).toEqual({ expected: 14, received: 7, missing: 6, putAside: 1, extra: 1 });
    const lists =
      'SELECT count(*) AS n FROM receiving_unit_lists l JOIN receiving_containers c ON c.id = l.container WHERE c.note = ?';
    expect(rig.db.prepare(lists).get(1)).toEqual({ n: 0 });
    expect(rig.db.prepare(lists).get(2)).toEqual({ n: 1 });
    expect(stock.countsByProduct()).toMatchObject([{ productKey: PRODUCT, received: 7, sold: 0, onHand: 7 }]);
  });

  it('stock = received − sold + returned, per product and per unit, with a CSV export', () => {
    const s = rig.session('D-1');
    s.scan(`]C100${sscc(2)}`);
    const writeOffs = rig.ledger.transaction(() => {
      const sale = rig.ledger.append('sale', salePayload([cn20(100), cn20(101)]));
      return [cn20(100), cn20(101)].map((codeKey, line) =>
        rig.ledger.append('write_off', { codeKey, saleId: sale.id, line }),
      );
    });
    expect(stock.countsByProduct()).toMatchObject([{ productKey: PRODUCT, received: 6, sold: 2, onHand: 4 }]);
    expect(stock.unit(cn20(100))).toMatchObject({ state: 'sold', onHand: false, deliveryId: 'D-1' });
    const w = writeOffs[0]!;
    rig.ledger.append('return', {
      approvedBy: 'mgr',
      lines: [
        { codeKey: cn20(100), saleId: w.payload.saleId as string, writeOffId: w.id, writeOffSeq: w.seq },
      ],
    });
    expect(stock.unit(cn20(100))).toMatchObject({ state: 'on_hand', onHand: true });
    expect(stockCsv(stock.countsByProduct())).toBe(
      `product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand\n${PRODUCT},6,0,1,0,0,0,0,5\n`,
    );
  });
});
