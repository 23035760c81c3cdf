import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';
import type { ParsedCode } from '../../../terminal/codes/types.js';
import type {
  LookupResult,
  RegistryBatch,
  RegistryState,
  RegistryUnit,
} from '../../../terminal/registry/types.js';
import {
  decideVerdict,
  type PolicyConfig,
  type PolicyInput,
  policyMoment,
} from '../../../terminal/verify/policy.js';
import { unitMismatch } from '../../../terminal/verify/unit-mismatch.js';

/**
 * The batch/expiry comparison of the verdict policy (terminal/verify/unit-mismatch.ts, step 3 of
 * decideVerdict): a registered GS1 unit whose code carries another AI 10 or AI 17 is `unknown`.
 */

const NOW = new Date('2026-11-28T06:00:00.000Z');
const GS = '\u001d';
/** GTIN-14 with a verified check digit (DOMAIN.md: 0950600013435 → 2). */
const GTIN = '09506000134352';
const SERIAL = 'S0001';
const KEY = `01${GTIN}21${SERIAL}`;
const config: PolicyConfig = {
  maxRegistryAgeMs: 72 * 3_600_000,
  expiredPolicy: 'block',
  unverifiablePolicy: 'block',
};

/** A DataMatrix element string of the registered unit with the given AI 17 (YYMMDD) and AI 10. */
function scan(attrs: { expiry?: string; batch?: string; serial?: string } = {}): string {
  const serial = attrs.serial ?? SERIAL;
  return `]d201${GTIN}${attrs.expiry ? `17${attrs.expiry}` : ''}${attrs.batch ? `10${attrs.batch}${GS}` : ''}21${serial}`;
}

const fresh = (): RegistryState => ({
  scope: 't',
  version: 1,
  asOf: new Date(NOW.getTime() - 60_000).toISOString(),
  expires: new Date(NOW.getTime() + 86_400_000).toISOString(),
  units: 1,
  contentHash: 'x',
});

function lookup(
  over: { unit?: Partial<RegistryUnit>; batch?: Partial<RegistryBatch> | null } = {},
): LookupResult {
  const batch: RegistryBatch | undefined =
    over.batch === null
      ? undefined
      : {
          productKey: `01${GTIN}`,
          number: 'L2506',
          expiryDate: '2028-05-31',
          recalled: false,
          ...over.batch,
        };
  return {
    unit: { key: KEY, status: 'active', productKey: `01${GTIN}`, batchNumber: 'L2506', ...over.unit },
    product: {
      key: `01${GTIN}`,
      names: { 'zh-CN': '奶粉', en: 'Formula' },
      manufacturer: 'M',
      covered: true,
    },
    ...(batch ? { batch } : {}),
  };
}

function decide(
  data: string,
  over: Partial<PolicyInput> & { look?: LookupResult; registry?: RegistryState } = {},
) {
  const parse = parseCode(data, { referenceYear: 2026 });
  if (!parse.ok) throw new Error(`fixture does not parse: ${parse.error.message}`);
  const { look, registry, ...rest } = over;
  return decideVerdict({
    parse,
    lookup: look ?? lookup(),
    moment: policyMoment(registry ?? fresh(), NOW, config),
    today: '2026-11-28',
    history: { checksHere: 0 },
    config,
    ...rest,
  });
}

describe('batch / expiry against the registered unit', () => {
  it('agreeing attributes (or none) leave the unit genuine, with no mismatch', () => {
    for (const data of [
      scan(),
      scan({ batch: 'L2506' }),
      scan({ expiry: '280531' }),
      scan({ expiry: '280531', batch: 'L2506' }),
    ]) {
      const v = decide(data);
      expect(v, data).toMatchObject({ verdict: 'genuine', reason: 'active', sellable: true });
      expect(v.mismatch, data).toBeUndefined();
    }
  });

  it('another batch (AI 10) → unknown, batch_mismatch, with both values', () => {
    const v = decide(scan({ batch: 'L2507' }));
    expect(v).toMatchObject({
      verdict: 'unknown',
      reason: 'batch_mismatch',
      sellable: false,
      mismatch: { batch: { scanned: 'L2507', registered: 'L2506' } },
    });
    expect(v.mismatch?.expiry).toBeUndefined();
    // GS1 AI 10 is case-sensitive (GenSpec §3.4.2): `l2506` is another batch.
    expect(decide(scan({ batch: 'l2506' })).reason).toBe('batch_mismatch');
  });

  it('another expiry (AI 17) → unknown, expiry_mismatch, dates as ISO', () => {
    const v = decide(scan({ expiry: '280630', batch: 'L2506' }));
    expect(v).toMatchObject({
      verdict: 'unknown',
      reason: 'expiry_mismatch',
      sellable: false,
      mismatch: { expiry: { scanned: '2028-06-30', registered: '2028-05-31' } },
    });
    expect(v.mismatch?.batch).toBeUndefined();
  });

  it('both differ → reason batch_mismatch (a wrong batch explains a wrong date), both carried', () => {
    expect(decide(scan({ expiry: '290101', batch: 'X1' }))).toMatchObject({
      verdict: 'unknown',
      reason: 'batch_mismatch',
      mismatch: {
        batch: { scanned: 'X1', registered: 'L2506' },
        expiry: { scanned: '2029-01-01', registered: '2028-05-31' },
      },
    });
  });

  it('absent AI 10 / AI 17, or a registry without batch or expiry, never mismatches', () => {
    expect(
      decide(scan({ expiry: '290101', batch: 'X1' }), {
        look: lookup({ unit: { batchNumber: undefined }, batch: null }),
      }).verdict,
    ).toBe('genuine');
    expect(
      decide(scan({ expiry: '290101' }), { look: lookup({ batch: { expiryDate: undefined } }) }).verdict,
    ).toBe('genuine');
    expect(
      decide(scan({ batch: 'X1' }), { look: lookup({ unit: { batchNumber: undefined } }) }).verdict,
    ).toBe('genuine');
    // A 20-digit supervision code carries neither attribute.
    const cn20 = parseCode('69012340000000011234');
    if (!cn20.ok) throw new Error('fixture');
    expect(
      unitMismatch(
        cn20,
        { key: cn20.key, status: 'active', productKey: '6901234', batchNumber: 'B1' },
        { productKey: '6901234', number: 'B1', expiryDate: '2030-01-01', recalled: false },
      ),
    ).toBeUndefined();
  });

  it('AI 17 day 00 means the end of the month (GenSpec §3.4.7) and compares as that day', () => {
    // 280500 = May 2028 → 2028-05-31, the registered date: agreement.
    expect(decide(scan({ expiry: '280500' })).verdict).toBe('genuine');
    // A registry saying the 30th disagrees with "end of May".
    expect(
      decide(scan({ expiry: '280500' }), { look: lookup({ batch: { expiryDate: '2028-05-30' } }) }),
    ).toMatchObject({
      reason: 'expiry_mismatch',
      mismatch: { expiry: { scanned: '2028-05-31', registered: '2028-05-30' } },
    });
    // February: leap and common years.
    expect(
      decide(scan({ expiry: '280200' }), { look: lookup({ batch: { expiryDate: '2028-02-29' } }) }).verdict,
    ).toBe('genuine');
    expect(
      decide(scan({ expiry: '270200' }), { look: lookup({ batch: { expiryDate: '2027-02-28' } }) }).verdict,
    ).toBe('genuine');
    expect(
      decide(scan({ expiry: '270200' }), { look: lookup({ batch: { expiryDate: '2027-02-01' } }) }).reason,
    ).toBe('expiry_mismatch');
  });

  it('known negatives keep the headline and carry the mismatch; expiry and registry age do not', () => {
    const clone = scan({ batch: 'X1' });
    const recalled = decide(clone, { look: lookup({ batch: { recalled: true } }) });
    expect(recalled).toMatchObject({ verdict: 'recalled', mismatch: { batch: { scanned: 'X1' } } });
    const stolen = decide(clone, { look: lookup({ unit: { status: 'stolen' } }) });
    expect(stolen).toMatchObject({ verdict: 'stolen', mismatch: { batch: { scanned: 'X1' } } });
    const soldUp = decide(clone, {
      look: lookup({ unit: { status: 'sold', soldAt: { store: 'S9', at: '2026-01-01T00:00:00.000Z' } } }),
    });
    expect(soldUp).toMatchObject({
      verdict: 'already_sold',
      reason: 'sold_upstream',
      mismatch: { batch: {} },
    });
    const soldHere = decide(clone, {
      localWriteOff: { at: '2026-11-01T00:00:00.000Z', saleId: 'S', storeId: 'st', terminalId: 't' },
    });
    expect(soldHere).toMatchObject({
      verdict: 'already_sold',
      reason: 'written_off_here',
      mismatch: { batch: {} },
    });
    const withdrawn = lookup();
    withdrawn.product = { ...withdrawn.product!, withdrawn: true };
    expect(decide(clone, { look: withdrawn })).toMatchObject({
      verdict: 'withdrawn',
      mismatch: { batch: {} },
    });

    // The pack says it expired, the registry says it did not (or the reverse): a suspected clone,
    // never `expired` (which a store may configure as sellable).
    const allow: PolicyConfig = { ...config, expiredPolicy: 'allow', unverifiablePolicy: 'allow' };
    const pastOnPack = decide(scan({ expiry: '250101' }), { config: allow });
    expect(pastOnPack).toMatchObject({ verdict: 'unknown', reason: 'expiry_mismatch', sellable: false });
    const pastInRegistry = decide(scan({ expiry: '280531' }), {
      look: lookup({ batch: { expiryDate: '2025-01-01' } }),
      config: allow,
    });
    expect(pastInRegistry).toMatchObject({ verdict: 'unknown', reason: 'expiry_mismatch', sellable: false });
    // A stale registry still knows a unit's batch (fixed at packing).
    const old = { ...fresh(), asOf: new Date(NOW.getTime() - 100 * 3_600_000).toISOString() };
    expect(decide(clone, { registry: old })).toMatchObject({ verdict: 'unknown', reason: 'batch_mismatch' });
    expect(decide(scan(), { registry: old })).toMatchObject({
      verdict: 'unverifiable',
      reason: 'registry_stale',
    });
  });

  it('a product-only GS1 code with AI 10/17 has no unit to disagree with', () => {
    const v = decideVerdict({
      parse: parseCode(`]d201${GTIN}17290101${'10X1'}`) as ParsedCode,
      lookup: { product: lookup().product! },
      moment: policyMoment(fresh(), NOW, config),
      today: '2026-11-28',
      history: { checksHere: 0 },
      config,
    });
    expect(v).toMatchObject({ verdict: 'unverifiable', reason: 'no_serial' });
    expect(v.mismatch).toBeUndefined();
  });

  it('property: a mismatch exactly when both sides are present and differ; then never genuine nor sellable', () => {
    const batchValue = fc.option(fc.constantFrom('L2506', 'L2507', 'l2506', 'X'), { nil: undefined });
    const date = fc.option(fc.constantFrom('280531', '280500', '280530', '290101', '250101'), {
      nil: undefined,
    });
    const registered = fc.option(fc.constantFrom('2028-05-31', '2028-05-30', '2029-01-01'), {
      nil: undefined,
    });
    fc.assert(
      fc.property(
        batchValue,
        date,
        batchValue,
        registered,
        (scannedBatch, scannedExpiry, unitBatch, expiryDate) => {
          const data = scan({
            ...(scannedBatch ? { batch: scannedBatch } : {}),
            ...(scannedExpiry ? { expiry: scannedExpiry } : {}),
          });
          const parsed = parseCode(data, { referenceYear: 2026 }) as ParsedCode;
          const v = decide(data, {
            look: lookup({ unit: { batchNumber: unitBatch }, batch: { expiryDate } }),
          });
          const batchDiffers =
            scannedBatch !== undefined && unitBatch !== undefined && scannedBatch !== unitBatch;
          const expiryDiffers =
            parsed.expiry !== undefined && expiryDate !== undefined && parsed.expiry !== expiryDate;
          expect(v.mismatch?.batch !== undefined).toBe(batchDiffers);
          expect(v.mismatch?.expiry !== undefined).toBe(expiryDiffers);
          if (batchDiffers || expiryDiffers) {
            expect(v.verdict).toBe('unknown');
            expect(v.sellable).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
