import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SalePayload } from '../../../terminal/ledger/payloads.js';
import { StockReader } from '../../../terminal/receiving/stock.js';
import { cn20, noteOf, ReceivingRig, signNote } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const PRODUCT = '6900001';
let tmp: ReturnType<typeof makeTempDir>;
let rig: ReceivingRig;
let stock: StockReader;

beforeEach(() => {
  tmp = makeTempDir('vt-stock-split-');
  rig = ReceivingRig.create(tmp.dir);
  stock = new StockReader(rig.db);
  expect(
    rig.import(signNote(noteOf({ deliveryId: 'D-1', units: [cn20(1), cn20(2)] }), rig.keys.privateKey)).ok,
  ).toBe(true);
  const s = rig.session('D-1');
  expect(s.scan(cn20(1)).ok).toBe(true);
  expect(s.scan(cn20(2)).ok).toBe(true);
});
afterEach(() => {
  rig.close();
  tmp.cleanup();
});

/** A sale line of `quantity` of 10 strips, as the checkout writes it (the last part with its write-off). */
function sellPart(codeKey: string, quantity: number, last = false) {
  rig.ledger.transaction(() => {
    const sale = rig.ledger.append<SalePayload>('sale', {
      lines: [
        {
          codeKey,
          codeTail: codeKey.slice(-6),
          part: { packQuantity: 10, quantity, unit: 'strip' },
          reason: 'active',
          verdict: 'genuine',
        },
      ],
    });
    if (last) rig.ledger.append('write_off', { codeKey, saleId: sale.id, line: 0 });
  });
}

describe('store stock: split packs (拆零)', () => {
  it('a partly sold pack stays on hand with its parts left; the last part takes it off', () => {
    sellPart(cn20(1), 3);
    expect(stock.unit(cn20(1))).toEqual({
      key: cn20(1),
      state: 'on_hand',
      onHand: true,
      deliveryId: 'D-1',
      opened: { remaining: 7, packQuantity: 10 },
    });
    expect(stock.unit(cn20(2))).not.toHaveProperty('opened');
    expect(stock.countsByProduct()).toMatchObject([{ productKey: PRODUCT, received: 2, sold: 0, onHand: 2 }]);
    sellPart(cn20(1), 7, true);
    expect(stock.unit(cn20(1))).toMatchObject({ state: 'sold', onHand: false });
    expect(stock.countsByProduct()).toMatchObject([{ productKey: PRODUCT, received: 2, sold: 1, onHand: 1 }]);
  });
});
