import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/temp-dir.js';
import {
  code,
  gs1Code,
  NOT_COVERED,
  openTerminal,
  PRODUCT_ONLY,
  UNREGISTERED_EAN,
} from './checkout-fixture.js';

/**
 * `POST /api/v1/checkout/check` and the sale come from one line decision: over random scans (every
 * verdict the fixture registry gives), approvals and the four policy configs, what `checkLine`
 * says is what `completeSale` does. fast-check prints the seed and the shrunk case on failure.
 */

const CONFIGS = [
  { expiredPolicy: 'block', unverifiablePolicy: 'block' },
  { expiredPolicy: 'allow', unverifiablePolicy: 'block' },
  { expiredPolicy: 'block', unverifiablePolicy: 'allow' },
  { expiredPolicy: 'allow', unverifiablePolicy: 'allow' },
] as const;

type Terminal = ReturnType<typeof openTerminal>;

/** Scans by the verdict they give; `fresh` is a serial never used before in this run. */
const SCENARIOS: Record<string, (t: Terminal, fresh: number) => string> = {
  genuine: (_t, n) => code(n),
  genuineGs1: (_t, n) => gs1Code(n, { batch: 'L1', expiry: '300531' }),
  soldHere: (t, n) => {
    const outcome = t.checkout.completeSale({ lines: [{ data: code(n) }] });
    if (!outcome.ok) throw new Error('could not sell the setup code');
    return code(n);
  },
  soldUpstream: () => code(800000006),
  recalledUnit: () => code(800000001),
  stolen: () => code(800000002),
  destroyed: () => code(800000003),
  recalledBatch: () => code(800000004),
  expired: () => code(800000005),
  locked: (t, n) => {
    t.setStatus(code(n), 'locked');
    return code(n);
  },
  unknown: (_t, n) => code(900000000 + n),
  notCovered: (_t, n) => code(n, NOT_COVERED),
  productOnly: () => PRODUCT_ONLY,
  unregisteredEan: () => UNREGISTERED_EAN,
  malformed: () => 'garbage',
  batchMismatch: (_t, n) => gs1Code(n, { batch: 'L9' }),
  expiryMismatch: (_t, n) => gs1Code(n, { expiry: '300530' }),
};

describe('check and sale agree', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let terminals: Terminal[];
  let serial = 1;

  beforeAll(() => {
    temp = makeTempDir();
    terminals = CONFIGS.map((config, i) => openTerminal({ dir: `${temp.dir}/t${i}`, ...config }));
  });
  afterAll(() => {
    for (const t of terminals) t.close();
    temp.cleanup();
  });

  it('check says sellable iff the sale takes the line as it is, overridable iff it takes it only with an approval', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: CONFIGS.length - 1 }),
        fc.constantFrom(...Object.keys(SCENARIOS)),
        fc.boolean(),
        (configIndex, scenario, approved) => {
          const t = terminals[configIndex]!;
          const data = SCENARIOS[scenario]!(t, serial++);
          const check = t.checkout.checkLine(data);
          seen.add(`${check.verdict}/${check.decision}`);
          const override = approved ? { by: 'sup', reason: 'property test' } : undefined;
          const before = t.ledger.headSeq();
          const outcome = t.checkout.completeSale({ lines: [{ data, ...(override ? { override } : {}) }] });
          // What a POS or the cashier page reads: the two flags (and the decision they sum up);
          // overridable means "refused unless approved", so never both.
          expect(check.sellable && check.overridable).toBe(false);
          expect(check.decision).toBe(
            check.sellable ? 'sellable' : check.overridable ? 'overridable' : 'refused',
          );
          const takes = check.sellable || (approved && check.overridable);
          expect(outcome.ok, `${scenario}: check ${check.decision}, approved ${approved}`).toBe(takes);
          if (outcome.ok) {
            const line = outcome.sale.lines[0]!;
            expect(line.verdict).toBe(check.verdict);
            expect(line.reason).toBe(check.reason);
            // The approval is recorded exactly when the line is unverifiable and one was given.
            expect(line.override).toEqual(check.verdict === 'unverifiable' ? override : undefined);
            expect(outcome.sale.writeOffs.length).toBe(check.productOnly ? 0 : 1);
            expect(line.productOnly).toBe(check.productOnly);
          } else {
            if (outcome.code !== 'lines_refused') throw new Error(JSON.stringify(outcome));
            expect(outcome.refused[0]).toMatchObject({
              verdict: check.verdict,
              reason: check.reason,
              overridable: check.overridable,
            });
            // Alerts only for evidence (sold before, unregistered, disagreeing with the registry).
            const evidence =
              ['already_sold', 'unknown'].includes(check.verdict) || check.mismatch !== undefined;
            expect(outcome.alertIds.length).toBe(evidence ? 1 : 0);
            expect(t.ledger.headSeq()).toBe(before + outcome.alertIds.length);
          }
        },
      ),
      { numRuns: 250 },
    );
    // The run met every decision and the verdicts that lead to them.
    for (const expected of [
      'genuine/sellable',
      'already_sold/refused',
      'recalled/refused',
      'stolen/refused',
      'destroyed/refused',
      'locked/refused',
      'expired/refused',
      'expired/sellable',
      'unknown/refused',
      'malformed/refused',
      'unverifiable/overridable',
      'unverifiable/sellable',
    ]) {
      expect(seen, expected).toContain(expected);
    }
  });
});
