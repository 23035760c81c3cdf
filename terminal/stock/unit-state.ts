/**
 * The stock state machine of one unit at one store (docs/stock.md), over the facts the terminal
 * database holds about it: checked in from a delivery note (`received`, receiving's tables), an
 * active write-off (`sold`, the ledger's write-offs), and the unit's latest stock move (`move`,
 * table `stock_moves`: shipped out, destroyed, lost or found by a stocktake adjustment) with
 * `foundIn` (it entered stock by an adjustment without being received here; sticky).
 *
 * Pure: StockReader's SQL computes the same `onHand` (terminal/receiving/stock.ts) and the
 * services ask `transition` before they write, so a refused operation changes nothing.
 */

/** Moves that take a unit out of stock. */
export const OUT_MOVES = ['returned_to_supplier', 'transferred', 'destroyed', 'lost'] as const;
export type OutMove = (typeof OUT_MOVES)[number];
export type StockMove = OutMove | 'found';
export const STOCK_MOVES: readonly StockMove[] = [...OUT_MOVES, 'found'];

export interface UnitFacts {
  received: boolean;
  sold: boolean;
  move: StockMove | null;
  foundIn: boolean;
}

export const NO_FACTS: UnitFacts = { received: false, sold: false, move: null, foundIn: false };

export type UnitStockState = 'not_in_stock' | 'on_hand' | 'sold' | OutMove;

export type StockEvent =
  | { kind: 'receive' }
  | { kind: 'sell' }
  | { kind: 'return' }
  | { kind: 'ship_out'; move: Exclude<OutMove, 'lost'> }
  | { kind: 'adjust_out' }
  | { kind: 'adjust_in' };

/** Why a transition is refused: the unit's state names it. */
export type TransitionRefusal =
  | 'already_received'
  | 'already_sold'
  | 'not_sold'
  | 'not_on_hand'
  | 'left_stock'
  | 'destroyed'
  | 'already_on_hand'
  | 'sold_use_return';

export type TransitionResult = { ok: true; facts: UnitFacts } | { ok: false; code: TransitionRefusal };

export function isOut(move: StockMove | null): move is OutMove {
  return move !== null && move !== 'found';
}

/** In stock now: received here or found by an adjustment, not sold, not moved out since. */
export function onHand(f: UnitFacts): boolean {
  return !f.sold && (f.move === 'found' || (f.move === null && f.received));
}

/**
 * One exclusive state per unit: a move out wins (a unit shipped out stays out even if a checkout
 * sold it meanwhile), then an active write-off, then on hand; `not_in_stock` for a unit never
 * received or found here.
 */
export function stateOf(f: UnitFacts): UnitStockState {
  if (isOut(f.move)) return f.move;
  if (f.sold) return 'sold';
  if (f.move === 'found' || f.received) return 'on_hand';
  return 'not_in_stock';
}

/** The facts after `event`, or why it is refused (nothing changes then). */
export function transition(f: UnitFacts, event: StockEvent): TransitionResult {
  switch (event.kind) {
    case 'receive':
      // Receiving lists a unit on one note only (receiving_units' key): a second check-in is refused.
      if (f.received) return refuse('already_received');
      return ok({ ...f, received: true });
    case 'sell':
      if (f.move === 'destroyed') return refuse('destroyed');
      if (isOut(f.move)) return refuse('left_stock');
      if (f.sold) return refuse('already_sold');
      // A unit never received here may be sold (a store without receiving): stock is unchanged.
      return ok({ ...f, sold: true });
    case 'return':
      if (!f.sold) return refuse('not_sold');
      return ok({ ...f, sold: false });
    case 'ship_out':
    case 'adjust_out':
      if (!onHand(f)) return refuse(f.move === 'destroyed' ? 'destroyed' : 'not_on_hand');
      return ok({ ...f, move: event.kind === 'adjust_out' ? 'lost' : event.move });
    case 'adjust_in':
      if (onHand(f)) return refuse('already_on_hand');
      // Destroyed is a terminal state chain-wide (DOMAIN.md); a sold unit comes back by a return.
      if (f.move === 'destroyed') return refuse('destroyed');
      if (f.sold) return refuse('sold_use_return');
      return ok({ ...f, move: 'found', foundIn: f.foundIn || !f.received });
  }
}

const ok = (facts: UnitFacts): TransitionResult => ({ ok: true, facts });
const refuse = (code: TransitionRefusal): TransitionResult => ({ ok: false, code });
