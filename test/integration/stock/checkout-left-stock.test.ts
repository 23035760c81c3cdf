import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import { CheckoutService } from '../../../terminal/lanes/checkout.js';
import { checkResponse } from '../../../terminal/lanes/line-decision.js';
import { MovedOutUnits } from '../../../terminal/stock/moved-out.js';
import { QueryLog, Verifier } from '../../../terminal/verify/index.js';
import { cn20, NOW, noteOf, signNote } from '../../helpers/receiving-fixture.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const PRODUCT = '6900001';
const units = Array.from({ length: 8 }, (_, i) => cn20(i));

let tmp: ReturnType<typeof makeTempDir>;
let rig: StockRig;

/**
 * Checkout reads the store's own stock (docs/stock.md "Checkout reads stock"): a unit this
 * terminal destroyed, shipped out or wrote off as lost is refused at once, with its reason and no
 * clone alert, before any registry delta; a unit on hand sells as before.
 */
beforeEach(() => {
  tmp = makeTempDir('vt-checkout-left-stock-');
  rig = StockRig.create(tmp.dir, undefined, {
    products: [{ key: PRODUCT, names: { 'zh-CN': '药', en: 'Medicine' }, manufacturer: 'M', covered: true }],
    batches: [{ productKey: PRODUCT, number: 'B-OK', expiryDate: '2028-01-31', recalled: false }],
    units: units.map((key, i) => ({
      key,
      // cn20(7) was sold at another store since (a copied code): the registry says so.
      status: i === 7 ? 'sold' : 'active',
      productKey: PRODUCT,
      batchNumber: 'B-OK',
      ...(i === 7 ? { soldAt: { store: 's9', at: '2026-12-06T10:00:00Z' } } : {}),
    })),
    state: {
      scope: 'cn',
      version: 1,
      asOf: '2026-12-07T00:00:00Z',
      expires: '2027-01-01T00:00:00Z',
      units: units.length,
      contentHash: 'x',
    },
  });
  expect(rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey)).ok).toBe(true);
  const s = rig.session('D-1');
  for (const u of units) s.scan(u);
  s.close({ outcome: 'partial', reason: 'test' });
});
afterEach(() => {
  rig.close();
  tmp.cleanup();
});

function verifierFor(withStock: boolean): Verifier {
  return new Verifier({
    parse: (input, options) => parseCode(input, options),
    productKeyOf,
    registry: rig.registry,
    ledger: rig.ledger,
    queryLog: new QueryLog(rig.db),
    ...(withStock ? { stock: new MovedOutUnits(rig.db) } : {}),
    config: { maxRegistryAgeMs: 30 * 86_400_000, expiredPolicy: 'block', unverifiablePolicy: 'block' },
    clock: () => new Date(NOW),
  });
}

function ship(kind: 'transfer' | 'return_to_supplier' | 'destruction', keys: string[]): void {
  const extra =
    kind === 'transfer' ? { toStoreId: 's2' } : kind === 'return_to_supplier' ? { supplierId: 'sup-1' } : {};
  const o = rig.shipments.open({ kind, reason: 'overstock', openedBy: 'm1', ...extra });
  rig.shipments.scanMany(o.id, keys);
  rig.shipments.close(o.id, 'm1');
}

const alerts = () => rig.ledger.pending(0, 1000).filter((r) => r.type === 'alert');

describe('checkout refuses units that left this store', () => {
  it('destroyed → destroyed_here (kiosk too), transferred and returned → shipped_out, lost → lost_here; no alert', () => {
    ship('destruction', [units[0]!]);
    ship('transfer', [units[1]!]);
    ship('return_to_supplier', [units[2]!]);
    // A stocktake that finds everything but cn20(3): accepted, it is lost.
    const t = rig.stocktakes.open({ scope: 'all', openedBy: 'c1' });
    rig.stocktakes.scanMany(
      t.id,
      units.filter((_, i) => i >= 4),
    );
    rig.stocktakes.close(t.id);
    rig.stocktakes.accept(t.id, { approvedBy: 'm1', reason: 'count', extra: [] });

    const verifier = verifierFor(true);
    const check = (u: string) => checkResponse(verifier.verify(u, { source: 'checkout' }));
    expect(check(units[0]!)).toMatchObject({
      verdict: 'destroyed',
      reason: 'destroyed_here',
      decision: 'refused',
    });
    expect(verifier.verify(units[0]!, { source: 'kiosk' })).toMatchObject({
      verdict: 'destroyed',
      reason: 'destroyed_here',
      leftStock: { move: 'destroyed' },
    });
    expect(check(units[1]!)).toMatchObject({
      verdict: 'genuine',
      reason: 'shipped_out',
      decision: 'refused',
    });
    expect(check(units[2]!)).toMatchObject({ reason: 'shipped_out', decision: 'refused' });
    expect(check(units[3]!)).toMatchObject({ reason: 'lost_here', decision: 'refused' });
    expect(check(units[4]!)).toMatchObject({ verdict: 'genuine', decision: 'sellable' });

    const checkout = new CheckoutService({ ledger: rig.ledger, verifier, clock: () => new Date(NOW) });
    const before = rig.ledger.headSeq();
    const refused = checkout.completeSale({ lines: units.slice(0, 5).map((data) => ({ data })) });
    expect(refused).toMatchObject({
      ok: false,
      code: 'lines_refused',
      alertIds: [],
      refused: [
        { line: 0, reason: 'destroyed_here' },
        { line: 1, reason: 'shipped_out' },
        { line: 2, reason: 'shipped_out' },
        { line: 3, reason: 'lost_here' },
      ],
    });
    expect(alerts()).toEqual([]);
    expect(rig.ledger.headSeq()).toBe(before);
    // The unit on hand sells; nothing written off for the others.
    expect(checkout.completeSale({ lines: [{ data: units[4]! }] })).toMatchObject({ ok: true });
    expect(rig.ledger.writeOffOf(units[1]!)).toBeUndefined();
  });

  it('a unit sold elsewhere since it was shipped out stays a clone (the registry’s evidence wins)', () => {
    ship('transfer', [units[7]!]);
    const verifier = verifierFor(true);
    const checkout = new CheckoutService({ ledger: rig.ledger, verifier, clock: () => new Date(NOW) });
    const result = checkout.completeSale({ lines: [{ data: units[7]! }] });
    expect(result).toMatchObject({ ok: false, refused: [{ reason: 'sold_upstream' }] });
    expect(alerts()).toHaveLength(1);
  });

  it('a lost unit found again by a stocktake adjustment sells; without the stock lookup nothing is refused', () => {
    const lose = rig.stocktakes.open({ scope: 'all', openedBy: 'c1' });
    rig.stocktakes.scanMany(lose.id, units.slice(1, 7));
    rig.stocktakes.close(lose.id);
    rig.stocktakes.accept(lose.id, { approvedBy: 'm1', reason: 'count', extra: [] });
    const verifier = verifierFor(true);
    expect(checkResponse(verifier.verify(units[0]!))).toMatchObject({ reason: 'lost_here' });
    const find = rig.stocktakes.open({ scope: 'all', openedBy: 'c1' });
    rig.stocktakes.scanMany(find.id, units.slice(0, 7));
    rig.stocktakes.close(find.id);
    rig.stocktakes.accept(find.id, { approvedBy: 'm1', reason: 'found', missing: [] });
    expect(checkResponse(verifier.verify(units[0]!))).toMatchObject({
      decision: 'sellable',
      verdict: 'genuine',
    });

    ship('transfer', [units[1]!]);
    expect(checkResponse(verifierFor(false).verify(units[1]!))).toMatchObject({ decision: 'sellable' });
  });
});
