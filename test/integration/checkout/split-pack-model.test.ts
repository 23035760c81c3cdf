import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replaySplitParts, storedSplitParts } from '../../../terminal/ledger/split-parts.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal, SPLIT, SPLIT_PACK } from './checkout-fixture.js';

const SEED = Number(process.env.SPLIT_PACK_SEED ?? 7_919);
const PACKS = [code(501, SPLIT), code(502, SPLIT)];
const N = SPLIT_PACK.packQuantity;

type Op =
  | { kind: 'sell_part'; pack: number; quantity: number }
  | { kind: 'sell_whole'; pack: number }
  | { kind: 'return'; pack: number };

/** The reference: per pack, the sale lines not returned (newest last), as quantities; `whole` for a whole-pack sale. */
type Model = { quantity: number; whole: boolean }[][];

const sold = (lines: Model[number]) => lines.reduce((n, l) => n + l.quantity, 0);

/**
 * Model-based: random sequences of sell-part / sell-whole / return against the real checkout,
 * returns, verifier and ledger on SQLite, compared after every step with a small reference model.
 * The parts left never go negative or past the pack, no part is counted twice, the pack is
 * written off exactly when its last part is sold, and the projection always equals a replay of
 * the ledger from zero. fast-check prints the seed and the shortest failing sequence.
 */
describe('split packs: random sequences against a reference model', () => {
  it(`never negative, never double counted, projection = ledger replay (seed ${SEED})`, () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('sell_part' as const),
        pack: fc.nat(1),
        quantity: fc.integer({ min: 1, max: 11 }),
      }),
      fc.record({ kind: fc.constant('sell_whole' as const), pack: fc.nat(1) }),
      fc.record({ kind: fc.constant('return' as const), pack: fc.nat(1) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 18 }), (ops: Op[]) => {
        const temp = makeTempDir();
        const t = openTerminal({ dir: temp.dir });
        const model: Model = [[], []];
        try {
          for (const [i, o] of ops.entries()) {
            const key = PACKS[o.pack]!;
            const lines = model[o.pack]!;
            const left = N - sold(lines);
            if (o.kind === 'return') {
              const r = t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: key }] });
              expect(r.ok, `step ${i} return`).toBe(lines.length > 0);
              if (r.ok) lines.pop();
            } else {
              const quantity = o.kind === 'sell_part' ? o.quantity : undefined;
              const s = t.checkout.completeSale({
                externalRef: `op-${i}`,
                lines: [{ data: key, ...(quantity === undefined ? {} : { quantity }) }],
              });
              // No quantity: the whole pack if unopened, else what is left of it.
              const asked = quantity ?? left;
              const fits = left > 0 && asked <= left;
              expect(s.ok, `step ${i} ${o.kind} ${asked} of ${left} left`).toBe(fits);
              if (s.ok) lines.push({ quantity: asked, whole: quantity === undefined && left === N });
            }
            for (const [p, packKey] of PACKS.entries()) {
              const expectSold = sold(model[p]!);
              expect(expectSold).toBeGreaterThanOrEqual(0);
              expect(expectSold).toBeLessThanOrEqual(N);
              // Written off exactly when nothing is left.
              expect(t.ledger.writeOffOf(packKey) !== undefined, `step ${i} write-off of pack ${p}`).toBe(
                expectSold === N,
              );
              const partsSold = model[p]!.filter((l) => !l.whole).reduce((n, l) => n + l.quantity, 0);
              expect(t.ledger.splitSoldOf([packKey]).get(packKey) ?? 0, `step ${i} parts of pack ${p}`).toBe(
                partsSold,
              );
            }
            expect(storedSplitParts(t.db)).toEqual(replaySplitParts(t.ledger.iterate()));
          }
          expect(t.ledger.verifyChain(undefined, { payloads: true })).toMatchObject({ ok: true });
        } finally {
          t.close();
          temp.cleanup();
        }
      }),
      { seed: SEED, numRuns: 30 },
    );
  }, 120_000);
});
