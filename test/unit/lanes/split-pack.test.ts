import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextPackState,
  type PackEvent,
  type PackState,
  partText,
  unopenedPack,
} from '../../../terminal/lanes/split-pack.js';

const SEED = Number(process.env.SPLIT_PACK_SEED ?? 20_261_207);

function step(state: PackState, event: PackEvent): PackState {
  const next = nextPackState(state, event);
  if (!next.ok) throw new Error(`${event.kind}: ${next.code}`);
  return next.state;
}

describe('split-pack state machine (remaining quantity of one pack)', () => {
  it('sells parts down to the last, which writes the pack off', () => {
    let s = unopenedPack(10);
    const first = nextPackState(s, { kind: 'sell_part', quantity: 3 });
    expect(first).toEqual({
      ok: true,
      state: { packQuantity: 10, remaining: 7, writtenOff: false },
      writeOff: false,
    });
    s = step(s, { kind: 'sell_part', quantity: 3 });
    const last = nextPackState(s, { kind: 'sell_part', quantity: 7 });
    expect(last).toEqual({
      ok: true,
      state: { packQuantity: 10, remaining: 0, writtenOff: true },
      writeOff: true,
    });
  });

  it('sells an unopened pack whole; a return of the whole pack makes it unopened again', () => {
    const sold = step(unopenedPack(10), { kind: 'sell_whole' });
    expect(sold).toEqual({ packQuantity: 10, remaining: 0, writtenOff: true });
    expect(step(sold, { kind: 'return', quantity: 10 })).toEqual(unopenedPack(10));
  });

  it('a return of the last part re-opens a written-off pack with that part on hand', () => {
    const out = step(step(unopenedPack(10), { kind: 'sell_part', quantity: 3 }), {
      kind: 'sell_part',
      quantity: 7,
    });
    expect(step(out, { kind: 'return', quantity: 7 })).toEqual({
      packQuantity: 10,
      remaining: 7,
      writtenOff: false,
    });
  });

  it.each<[string, PackState, PackEvent, string]>([
    [
      'more parts than remain',
      { packQuantity: 10, remaining: 7, writtenOff: false },
      { kind: 'sell_part', quantity: 8 },
      'exceeds_remaining',
    ],
    [
      'a part of a written-off pack',
      { packQuantity: 10, remaining: 0, writtenOff: true },
      { kind: 'sell_part', quantity: 1 },
      'exceeds_remaining',
    ],
    [
      'a whole sale of an opened pack',
      { packQuantity: 10, remaining: 7, writtenOff: false },
      { kind: 'sell_whole' },
      'pack_opened',
    ],
    [
      'a whole sale of a written-off pack',
      { packQuantity: 10, remaining: 0, writtenOff: true },
      { kind: 'sell_whole' },
      'pack_opened',
    ],
    ['zero parts', unopenedPack(10), { kind: 'sell_part', quantity: 0 }, 'invalid_quantity'],
    ['a fraction of a part', unopenedPack(10), { kind: 'sell_part', quantity: 1.5 }, 'invalid_quantity'],
    ['more than a pack', unopenedPack(10), { kind: 'sell_part', quantity: 11 }, 'invalid_quantity'],
    ['a return of an unopened pack', unopenedPack(10), { kind: 'return', quantity: 1 }, 'not_sold'],
    [
      'a return of more than was sold',
      { packQuantity: 10, remaining: 7, writtenOff: false },
      { kind: 'return', quantity: 4 },
      'not_sold',
    ],
    [
      'a negative return',
      { packQuantity: 10, remaining: 7, writtenOff: false },
      { kind: 'return', quantity: -3 },
      'invalid_quantity',
    ],
  ])('refuses %s, leaving the state as it was', (_what, state, event, code) => {
    const copy = { ...state };
    const next = nextPackState(state, event);
    expect(next).toMatchObject({ ok: false, code });
    expect(!next.ok && next.message.length).toBeGreaterThan(10);
    expect(state).toEqual(copy);
  });

  it('prints the part as the receipt shows it', () => {
    expect(partText({ quantity: 3, packQuantity: 10, unit: 'strip' })).toBe('3/10 strips');
  });

  it(`random sequences never go negative or past the pack, and the state is the replay of what was accepted (seed ${SEED})`, () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('sell_part' as const), quantity: fc.integer({ min: -1, max: 12 }) }),
      fc.constant({ kind: 'sell_whole' as const }),
      fc.record({ kind: fc.constant('return' as const), quantity: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(event, { maxLength: 40 }),
        (packQuantity, events) => {
          let state = unopenedPack(packQuantity);
          // The reference: the accepted sales and returns as a ledger would list them.
          let sold = 0;
          let writeOffs = 0;
          for (const e of events) {
            const next = nextPackState(state, e);
            if (!next.ok) continue;
            if (e.kind === 'return') sold -= e.quantity;
            else sold += e.kind === 'sell_whole' ? packQuantity : e.quantity;
            if (next.writeOff) writeOffs++;
            if (e.kind === 'return' && state.writtenOff) writeOffs--;
            state = next.state;
            expect(state.remaining).toBeGreaterThanOrEqual(0);
            expect(state.remaining).toBeLessThanOrEqual(packQuantity);
            expect(state.remaining).toBe(packQuantity - sold);
            // Written off exactly when nothing is left, and never twice.
            expect(state.writtenOff).toBe(state.remaining === 0);
            expect(writeOffs).toBe(state.writtenOff ? 1 : 0);
          }
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});
