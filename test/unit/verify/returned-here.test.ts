import { describe, expect, it } from 'vitest';
import type { LookupResult } from '../../../terminal/registry/types.js';
import {
  decideVerdict,
  type PolicyConfig,
  type PolicyInput,
  policyMoment,
  undoneByLocalReturn,
} from '../../../terminal/verify/policy.js';
import { FakeRegistry, parse, SAMPLE } from '../../integration/kiosk/fixtures.js';

/**
 * The returned-here step of the policy: a registry `sold` that is this store's own write-off,
 * taken back by a return here, reads as active before upstream's next delta says so.
 */
const NOW = new Date('2026-11-28T06:00:00.000Z');
const config: PolicyConfig = {
  maxRegistryAgeMs: 72 * 3_600_000,
  expiredPolicy: 'block',
  unverifiablePolicy: 'block',
};
const registry = new FakeRegistry(NOW);
/** SAMPLE.soldUpstream: the registry says sold at S-0042 on 2026-11-01T09:30:00.000Z. */
const SOLD_AT = { store: 'S-0042', at: '2026-11-01T09:30:00.000Z' };
const returned = (over: Partial<NonNullable<PolicyInput['localReturn']>> = {}) => ({
  at: SOLD_AT.at,
  saleId: 'SALE-9',
  storeId: SOLD_AT.store,
  terminalId: 'T-01',
  ...over,
});

function input(over: Partial<PolicyInput> = {}, lookup: LookupResult = registry.lookup(SAMPLE.soldUpstream)) {
  return {
    parse: parse(SAMPLE.soldUpstream),
    lookup,
    moment: policyMoment(registry.state(), NOW, config),
    today: '2026-11-28',
    history: { checksHere: 0 },
    config,
    ...over,
  } satisfies PolicyInput;
}

describe('returned here (policy)', () => {
  it('the registry still says sold here, the ledger here took that write-off back: genuine and sellable', () => {
    expect(registry.lookup(SAMPLE.soldUpstream).unit).toMatchObject({ status: 'sold', soldAt: SOLD_AT });
    const v = decideVerdict(input({ localReturn: returned() }));
    expect(v).toMatchObject({ verdict: 'genuine', reason: 'active', sellable: true });
    // The shopper is not shown a sale that was taken back.
    expect(v.unit).toMatchObject({ status: 'active' });
    expect(v.unit?.soldAt).toBeUndefined();
    expect(v.sold).toBeUndefined();
  });

  it.each([
    ['a sale at another store', returned({ storeId: 'S-0001' })],
    [
      'a later sale of the unit (another time than the returned write-off)',
      returned({ at: '2026-11-02T10:00:00.000Z' }),
    ],
    ['no return here', undefined],
  ])('a registry sale stands when the return here is not of it: %s', (_what, localReturn) => {
    const v = decideVerdict(input(localReturn ? { localReturn } : {}));
    expect(v).toMatchObject({ verdict: 'already_sold', reason: 'sold_upstream', sellable: false });
    expect(v.sold).toEqual({ where: 'upstream', storeId: SOLD_AT.store, at: SOLD_AT.at });
  });

  it('an active write-off here still wins over an older returned one', () => {
    const v = decideVerdict(
      input({
        localReturn: returned(),
        localWriteOff: {
          at: '2026-11-27T10:00:00.000Z',
          saleId: 'SALE-10',
          storeId: 'S-0042',
          terminalId: 'T-01',
        },
      }),
    );
    expect(v).toMatchObject({ verdict: 'already_sold', reason: 'written_off_here' });
  });

  it('undoes only the sale: a recall, a withdrawal, an expiry or a stale registry still decide', () => {
    const sold = registry.lookup(SAMPLE.soldUpstream);
    const recalledBatch = { ...sold, batch: { ...sold.batch!, recalled: true } };
    expect(decideVerdict(input({ localReturn: returned() }, recalledBatch)).verdict).toBe('recalled');
    const withdrawn = { ...sold, product: { ...sold.product!, withdrawn: true } };
    expect(decideVerdict(input({ localReturn: returned() }, withdrawn)).verdict).toBe('withdrawn');
    const expired = { ...sold, batch: { ...sold.batch!, expiryDate: '2026-01-31' } };
    expect(decideVerdict(input({ localReturn: returned() }, expired)).verdict).toBe('expired');
    const stale = policyMoment(
      new FakeRegistry(new Date(NOW.getTime() - 100 * 3_600_000)).state(),
      NOW,
      config,
    );
    expect(decideVerdict(input({ localReturn: returned(), moment: stale })).verdict).toBe('unverifiable');
  });

  it('leaves every status other than sold alone', () => {
    const stolen = registry.lookup(SAMPLE.stolen);
    const asIfSoldHere = { ...stolen, unit: { ...stolen.unit!, soldAt: SOLD_AT } };
    expect(undoneByLocalReturn(asIfSoldHere, returned())).toBe(asIfSoldHere);
    const sold = registry.lookup(SAMPLE.soldUpstream);
    const noSoldAt = { ...sold, unit: { ...sold.unit!, soldAt: undefined } };
    expect(undoneByLocalReturn(noSoldAt, returned())).toBe(noSoldAt);
  });
});
