import { describe, expect, it } from 'vitest';
import {
  NO_FACTS,
  onHand,
  STOCK_MOVES,
  type StockEvent,
  type StockMove,
  stateOf,
  transition,
  type UnitFacts,
} from '../../../terminal/stock/unit-state.js';

const received: UnitFacts = { ...NO_FACTS, received: true };
const EVENTS: StockEvent[] = [
  { kind: 'receive' },
  { kind: 'sell' },
  { kind: 'return' },
  { kind: 'ship_out', move: 'returned_to_supplier' },
  { kind: 'ship_out', move: 'transferred' },
  { kind: 'ship_out', move: 'destroyed' },
  { kind: 'adjust_out' },
  { kind: 'adjust_in' },
];

/** Runs events from `start`, failing on the first refusal. */
function run(start: UnitFacts, ...events: StockEvent[]): UnitFacts {
  let f = start;
  for (const e of events) {
    const r = transition(f, e);
    if (!r.ok) throw new Error(`${e.kind} refused: ${r.code}`);
    f = r.facts;
  }
  return f;
}

describe('stock state machine: legal transitions', () => {
  it('receive → on hand; sell → sold; return → on hand again', () => {
    const f = run(NO_FACTS, { kind: 'receive' });
    expect(stateOf(f)).toBe('on_hand');
    const sold = run(f, { kind: 'sell' });
    expect(stateOf(sold)).toBe('sold');
    expect(onHand(sold)).toBe(false);
    expect(stateOf(run(sold, { kind: 'return' }))).toBe('on_hand');
  });

  it.each([['returned_to_supplier'], ['transferred'], ['destroyed']] as const)(
    'ship out (%s) takes an on-hand unit out of stock',
    (move) => {
      const f = run(received, { kind: 'ship_out', move });
      expect(stateOf(f)).toBe(move);
      expect(onHand(f)).toBe(false);
    },
  );

  it('adjust out (missing at a stocktake) → lost; adjust in (found later) → on hand, not found-in', () => {
    const lost = run(received, { kind: 'adjust_out' });
    expect(stateOf(lost)).toBe('lost');
    const back = run(lost, { kind: 'adjust_in' });
    expect(back).toEqual({ received: true, sold: false, move: 'found', foundIn: false });
    expect(stateOf(back)).toBe('on_hand');
  });

  it('a unit never received, found on the shelf and accepted, is on hand and found-in for good', () => {
    const f = run(NO_FACTS, { kind: 'adjust_in' });
    expect(f).toEqual({ received: false, sold: false, move: 'found', foundIn: true });
    const sold = run(f, { kind: 'sell' }, { kind: 'return' }, { kind: 'adjust_out' });
    expect(sold.foundIn).toBe(true);
    expect(stateOf(sold)).toBe('lost');
  });

  it('a transferred or returned unit found still on the shelf comes back in', () => {
    for (const move of ['transferred', 'returned_to_supplier'] as const)
      expect(stateOf(run(received, { kind: 'ship_out', move }, { kind: 'adjust_in' }))).toBe('on_hand');
  });

  it('a store without receiving sells units it never received: stock does not change', () => {
    const f = run(NO_FACTS, { kind: 'sell' });
    expect(stateOf(f)).toBe('sold');
    expect(onHand(f)).toBe(false);
  });
});

describe('stock state machine: illegal transitions are refused by name', () => {
  const destroyed = run(received, { kind: 'ship_out', move: 'destroyed' });
  const sold = run(received, { kind: 'sell' });
  const transferred = run(received, { kind: 'ship_out', move: 'transferred' });
  it.each([
    ['ship out a unit never received', NO_FACTS, { kind: 'ship_out', move: 'transferred' }, 'not_on_hand'],
    ['ship out a sold unit', sold, { kind: 'ship_out', move: 'returned_to_supplier' }, 'not_on_hand'],
    ['destroy twice', destroyed, { kind: 'ship_out', move: 'destroyed' }, 'destroyed'],
    ['sell a destroyed unit', destroyed, { kind: 'sell' }, 'destroyed'],
    ['sell a transferred unit', transferred, { kind: 'sell' }, 'left_stock'],
    ['sell twice', sold, { kind: 'sell' }, 'already_sold'],
    ['return a unit not sold', received, { kind: 'return' }, 'not_sold'],
    ['receive twice', received, { kind: 'receive' }, 'already_received'],
    ['adjust out a unit not on hand', sold, { kind: 'adjust_out' }, 'not_on_hand'],
    ['adjust out a destroyed unit', destroyed, { kind: 'adjust_out' }, 'destroyed'],
    ['adjust in a unit on hand', received, { kind: 'adjust_in' }, 'already_on_hand'],
    ['adjust in a destroyed unit', destroyed, { kind: 'adjust_in' }, 'destroyed'],
    ['adjust in a sold unit (a return brings it back)', sold, { kind: 'adjust_in' }, 'sold_use_return'],
  ] as [string, UnitFacts, StockEvent, string][])('%s → %s', (_name, facts, event, code) => {
    expect(transition(facts, event)).toEqual({ ok: false, code });
  });
});

describe('stock state machine: every state × every event', () => {
  const all: UnitFacts[] = [];
  for (const r of [false, true])
    for (const s of [false, true])
      for (const m of [null, ...STOCK_MOVES] as (StockMove | null)[])
        for (const fi of [false, true]) all.push({ received: r, sold: s, move: m, foundIn: fi });

  /** The rule of each event, written out apart from transition()'s code. */
  function allowed(f: UnitFacts, e: StockEvent): boolean {
    const inStock = !f.sold && (f.move === 'found' || (f.move === null && f.received));
    const out = f.move !== null && f.move !== 'found';
    switch (e.kind) {
      case 'receive':
        return !f.received;
      case 'sell':
        return !f.sold && !out;
      case 'return':
        return f.sold;
      case 'ship_out':
      case 'adjust_out':
        return inStock;
      case 'adjust_in':
        return !inStock && !f.sold && f.move !== 'destroyed';
    }
  }

  it('allows exactly the transitions the rules allow, and each moves stock by at most one unit', () => {
    let checked = 0;
    for (const f of all)
      for (const e of EVENTS) {
        const r = transition(f, e);
        expect(r.ok, `${JSON.stringify(f)} ${JSON.stringify(e)}`).toBe(allowed(f, e));
        checked++;
        if (!r.ok) continue;
        const delta = Number(onHand(r.facts)) - Number(onHand(f));
        const want =
          e.kind === 'ship_out' || e.kind === 'adjust_out' ? -1 : e.kind === 'adjust_in' ? 1 : undefined;
        if (want !== undefined) expect(delta).toBe(want);
        else expect(Math.abs(delta)).toBeLessThanOrEqual(1);
        // A refused transition never changes facts; an accepted one keeps found-in sticky.
        if (f.foundIn) expect(r.facts.foundIn).toBe(true);
      }
    expect(checked).toBe(all.length * EVENTS.length);
  });

  it('a destroyed unit stays destroyed whatever happens next', () => {
    for (const f of all.filter((x) => x.move === 'destroyed'))
      for (const e of EVENTS) {
        const r = transition(f, e);
        if (r.ok) expect(stateOf(r.facts)).toBe('destroyed');
      }
  });
});
