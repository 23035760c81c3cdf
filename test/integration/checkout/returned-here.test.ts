import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryReader, RegistryUnit } from '../../../terminal/registry/types.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, makeRegistry, openTerminal } from './checkout-fixture.js';

/**
 * A return makes a unit sellable again here at once, although the registry copy still says sold
 * here until upstream's next delta: real CheckoutService, ReturnsService, Verifier and Ledger on
 * SQLite files; the registry is the generated one with what upstream's deltas would say on top.
 */
let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
/** Units upstream has published as sold (key → soldAt), over the generated registry. */
let soldUpstream: Map<string, NonNullable<RegistryUnit['soldAt']>>;

function registryWithDeltas(): RegistryReader {
  const base = makeRegistry();
  return {
    ...base,
    lookup(key) {
      const found = base.lookup(key);
      const soldAt = soldUpstream.get(key);
      return found.unit && soldAt ? { ...found, unit: { ...found.unit, status: 'sold', soldAt } } : found;
    },
  };
}

beforeEach(() => {
  temp = makeTempDir();
  soldUpstream = new Map();
  t = openTerminal({ dir: temp.dir, storeId: 'store-a', registry: registryWithDeltas() });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

/** Sells `data` here and lets "upstream" publish the sale, as a sync would. */
function sellAndSync(data: string) {
  const outcome = t.checkout.completeSale({ lines: [{ data }] });
  if (!outcome.ok) throw new Error(outcome.message);
  const writeOff = t.ledger.recordAt(outcome.sale.writeOffs[0]!.seq)!;
  soldUpstream.set(data, { store: 'store-a', at: writeOff.at });
  return outcome.sale;
}

function returnHere(data: string) {
  const outcome = t.returns.processReturn({ approvedBy: 'mgr-1', lines: [{ data }] });
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.return;
}

const alerts = () => t.ledger.records(0, 1000).filter((r) => r.type === 'alert');

describe('returned here, before the registry knows', () => {
  it('the kiosk says genuine at once and a resale succeeds with no clone alert', () => {
    const unit = code(1);
    sellAndSync(unit);
    expect(t.verifier.verify(unit)).toMatchObject({ verdict: 'already_sold', reason: 'written_off_here' });
    returnHere(unit);
    // The registry copy still says sold here (no delta yet), the ledger knows the return.
    expect(t.registry.lookup(unit).unit).toMatchObject({ status: 'sold', soldAt: { store: 'store-a' } });
    expect(t.verifier.verify(unit, { source: 'kiosk' })).toMatchObject({
      verdict: 'genuine',
      sellable: true,
      unit: { status: 'active' },
    });
    const resale = t.checkout.completeSale({ lines: [{ data: unit }] });
    expect(resale).toMatchObject({ ok: true, replayed: false });
    expect(alerts()).toEqual([]);
    // Sold again: already sold here, whatever the registry says.
    expect(t.verifier.verify(unit)).toMatchObject({ verdict: 'already_sold', reason: 'written_off_here' });
  });

  it('a sale of the unit elsewhere after the return still stands: already sold, resale refused as a clone', () => {
    const unit = code(2);
    sellAndSync(unit);
    returnHere(unit);
    // Upstream published the return, then store B sold the unit.
    soldUpstream.set(unit, { store: 'store-b', at: new Date(Date.now() + 1000).toISOString() });
    expect(t.verifier.verify(unit)).toMatchObject({
      verdict: 'already_sold',
      reason: 'sold_upstream',
      sold: { where: 'upstream', storeId: 'store-b' },
    });
    const refused = t.checkout.completeSale({ lines: [{ data: unit }] });
    expect(refused).toMatchObject({
      ok: false,
      code: 'lines_refused',
      refused: [{ verdict: 'already_sold' }],
    });
    expect(alerts().map((a) => a.payload.kind)).toEqual(['clone']);
  });

  it('a later sale at this store by a terminal with its own ledger is not undone by an older return here', () => {
    const unit = code(3);
    sellAndSync(unit);
    returnHere(unit);
    // Another lane of store A (its own ledger) sold it after the return; the delta says so.
    soldUpstream.set(unit, { store: 'store-a', at: new Date(Date.now() + 1000).toISOString() });
    expect(t.verifier.verify(unit)).toMatchObject({ verdict: 'already_sold', reason: 'sold_upstream' });
  });

  it('a unit the registry says was sold at this store but this ledger never sold stays sold', () => {
    const unit = code(4);
    soldUpstream.set(unit, { store: 'store-a', at: '2026-01-02T03:04:05.000Z' });
    expect(t.verifier.verify(unit)).toMatchObject({ verdict: 'already_sold', reason: 'sold_upstream' });
    expect(t.returns.processReturn({ approvedBy: 'mgr-1', lines: [{ data: unit }] })).toMatchObject({
      ok: false,
      refused: [{ reason: 'not_sold_here' }],
    });
  });
});
