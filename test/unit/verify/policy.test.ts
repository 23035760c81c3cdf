import { describe, expect, it } from 'vitest';
import type { RegistryState } from '../../../terminal/registry/types.js';
import {
  decideVerdict,
  type PolicyConfig,
  type PolicyInput,
  policyMoment,
} from '../../../terminal/verify/policy.js';
import {
  FakeLedgerView,
  FakeRegistry,
  parse,
  productKeyOf,
  SAMPLE,
} from '../../integration/kiosk/fixtures.js';

const NOW = new Date('2026-11-28T06:00:00.000Z');
const config: PolicyConfig = {
  maxRegistryAgeMs: 72 * 3_600_000,
  expiredPolicy: 'block',
  unverifiablePolicy: 'block',
};

/** A decision's input at NOW; `registry` (a state, or undefined for none) replaces the fake's. */
function input(data: string, over: Partial<PolicyInput> & { registry?: RegistryState } = {}): PolicyInput {
  const registry = new FakeRegistry(NOW);
  const parsed = parse(data);
  let lookup = parsed.ok ? registry.lookup(parsed.key) : {};
  if (parsed.ok && !lookup.product) {
    const product = registry.lookupProduct(productKeyOf(parsed));
    if (product) lookup = { ...lookup, product };
  }
  const { registry: _replaced, ...rest } = over;
  const state = 'registry' in over ? over.registry : registry.state();
  return {
    parse: parsed,
    lookup,
    localWriteOff: parsed.ok ? new FakeLedgerView().writeOffOf(parsed.key) : undefined,
    moment: policyMoment(state, NOW, over.config ?? config),
    today: '2026-11-28',
    history: { checksHere: 0 },
    config,
    ...rest,
  };
}

describe('decideVerdict', () => {
  it.each([
    [SAMPLE.genuine, 'genuine', 'active', true],
    [SAMPLE.soldUpstream, 'already_sold', 'sold_upstream', false],
    [SAMPLE.soldHere, 'already_sold', 'written_off_here', false],
    [SAMPLE.recalled, 'recalled', 'batch_recalled', false],
    [SAMPLE.stolen, 'stolen', 'status_stolen', false],
    [SAMPLE.expired, 'expired', 'past_expiry', false],
    [SAMPLE.unknown, 'unknown', 'not_in_registry', false],
    [SAMPLE.uncovered, 'unverifiable', 'product_not_covered', false],
    [SAMPLE.gtinOnly, 'unverifiable', 'no_serial', false],
    [SAMPLE.malformed, 'malformed', 'unrecognised', false],
  ])('%s → %s (%s)', (data, verdict, reason, sellable) => {
    const v = decideVerdict(input(data));
    expect(v).toMatchObject({ verdict, reason, sellable, checkedAt: NOW.toISOString() });
  });

  it('carries the facts a shopper sees: product, batch, sold where/when', () => {
    const sold = decideVerdict(input(SAMPLE.soldUpstream));
    expect(sold.product?.names.en).toBe('Golden Peanut Oil 5 L');
    expect(sold.batch?.number).toBe('B1');
    expect(sold.sold).toEqual({ where: 'upstream', storeId: 'S-0042', at: '2026-11-01T09:30:00.000Z' });
    const here = decideVerdict(input(SAMPLE.soldHere));
    expect(here.sold).toMatchObject({ where: 'here', saleId: 'SALE-1', terminalId: 'T-01' });
  });

  it('never calls a product-only GTIN scan genuine, even when the product is covered', () => {
    const v = decideVerdict(input(SAMPLE.gtinOnly));
    expect(v.product?.covered).toBe(true);
    expect(v.verdict).not.toBe('genuine');
  });

  it('a stale or expired registry cannot confirm, but known negatives still show', () => {
    const old = new FakeRegistry(new Date(NOW.getTime() - 100 * 3_600_000)).state();
    expect(decideVerdict(input(SAMPLE.genuine, { registry: old }))).toMatchObject({
      verdict: 'unverifiable',
      reason: 'registry_stale',
    });
    expect(decideVerdict(input(SAMPLE.unknown, { registry: old })).verdict).toBe('unverifiable');
    expect(decideVerdict(input(SAMPLE.recalled, { registry: old })).verdict).toBe('recalled');
    expect(decideVerdict(input(SAMPLE.soldHere, { registry: old })).verdict).toBe('already_sold');
    const frozen = { ...new FakeRegistry(NOW).state()!, expires: '2026-11-27T00:00:00.000Z' };
    expect(decideVerdict(input(SAMPLE.genuine, { registry: frozen })).reason).toBe('registry_expired');
    expect(decideVerdict(input(SAMPLE.genuine, { registry: undefined })).reason).toBe('no_registry');
  });

  it('expiry: the expiry day itself is still fine; the code’s own AI 17 counts without a batch', () => {
    expect(decideVerdict(input(SAMPLE.expired, { today: '2020-01-01' })).verdict).toBe('genuine');
    expect(decideVerdict(input(SAMPLE.expired, { today: '2020-01-02' })).verdict).toBe('expired');
    const parsed = parse(SAMPLE.genuine);
    if (!parsed.ok) throw new Error('fixture');
    const noBatch = input(SAMPLE.genuine);
    const v = decideVerdict({
      ...noBatch,
      parse: { ...parsed, expiry: '2026-01-31' },
      lookup: { ...noBatch.lookup, batch: undefined },
    });
    expect(v.verdict).toBe('expired');
  });

  it('sellable follows the configured expired/unverifiable policies', () => {
    const allow: PolicyConfig = { ...config, expiredPolicy: 'allow', unverifiablePolicy: 'allow' };
    expect(decideVerdict(input(SAMPLE.expired, { config: allow })).sellable).toBe(true);
    expect(decideVerdict(input(SAMPLE.uncovered, { config: allow })).sellable).toBe(true);
    expect(decideVerdict(input(SAMPLE.unknown, { config: allow })).sellable).toBe(false);
  });

  it('withdrawn products and locked units are refused', () => {
    const base = input(SAMPLE.genuine);
    const withdrawn = { ...base.lookup.product!, withdrawn: true };
    expect(decideVerdict({ ...base, lookup: { ...base.lookup, product: withdrawn } }).verdict).toBe(
      'withdrawn',
    );
    const locked = { ...base.lookup.unit!, status: 'locked' as const };
    expect(decideVerdict({ ...base, lookup: { ...base.lookup, unit: locked } }).verdict).toBe('locked');
  });

  it('passes the check history through untouched', () => {
    const history = { checksHere: 4, firstCheckedAt: 'a', lastCheckedAt: 'b', upstreamChecks: 9 };
    expect(decideVerdict(input(SAMPLE.genuine, { history })).history).toEqual(history);
  });
});
