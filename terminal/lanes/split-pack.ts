/**
 * Split-pack sales (拆零): the remaining-quantity state machine of one pack, pure. A splittable
 * product (registry `split: { packQuantity, unit }`) is sold in parts under one code; the pack
 * stays on hand with the remainder and is written off with the line that sells the last part.
 * The ledger keeps what was sold (`ledger_split_parts`, terminal/ledger/split-parts.ts); this
 * module decides what a sale or a return may do with it, for the checkout, the returns and the
 * property test that replays random sequences against it.
 */

/** One pack's state: how many parts of `packQuantity` are still on hand, and whether it is written off. */
export interface PackState {
  packQuantity: number;
  remaining: number;
  writtenOff: boolean;
}

export type PackEvent =
  /** Sell `quantity` parts (the last part writes the pack off). */
  | { kind: 'sell_part'; quantity: number }
  /** Sell the pack whole (only an unopened pack; an opened one sells its remainder as a part). */
  | { kind: 'sell_whole' }
  /** A return takes back one earlier sale line of `quantity` parts (a whole sale: `packQuantity`). */
  | { kind: 'return'; quantity: number };

export type PackRefusal =
  | 'invalid_quantity'
  /** More parts than remain (none remain once the pack is written off). */
  | 'exceeds_remaining'
  /** A whole-pack sale of a pack already opened, or of a pack written off. */
  | 'pack_opened'
  /** A return of more parts than were sold. */
  | 'not_sold';

export type PackStep =
  | { ok: true; state: PackState /** The step writes the pack off (sold out). */; writeOff: boolean }
  | { ok: false; code: PackRefusal; message: string };

/** A fresh, unopened pack. */
export function unopenedPack(packQuantity: number): PackState {
  return { packQuantity, remaining: packQuantity, writtenOff: false };
}

/** What `event` does to `state`; never changes `state` itself. */
export function nextPackState(state: PackState, event: PackEvent): PackStep {
  const { packQuantity, remaining } = state;
  switch (event.kind) {
    case 'sell_whole':
      if (state.writtenOff || remaining !== packQuantity) {
        return refuse(
          'pack_opened',
          state.writtenOff
            ? 'The pack is written off already'
            : `The pack is opened (${remaining} of ${packQuantity} left): sell the remainder as a part`,
        );
      }
      return { ok: true, state: { packQuantity, remaining: 0, writtenOff: true }, writeOff: true };
    case 'sell_part': {
      const bad = badQuantity(event.quantity, packQuantity);
      if (bad) return bad;
      const left = state.writtenOff ? 0 : remaining;
      if (event.quantity > left) {
        return refuse('exceeds_remaining', `Only ${left} of ${packQuantity} left, ${event.quantity} asked`);
      }
      const after = left - event.quantity;
      return {
        ok: true,
        state: { packQuantity, remaining: after, writtenOff: after === 0 },
        writeOff: after === 0,
      };
    }
    case 'return': {
      const bad = badQuantity(event.quantity, packQuantity);
      if (bad) return bad;
      const sold = packQuantity - (state.writtenOff ? 0 : remaining);
      if (event.quantity > sold) {
        return refuse('not_sold', `Only ${sold} of ${packQuantity} were sold, ${event.quantity} returned`);
      }
      return {
        ok: true,
        state: { packQuantity, remaining: packQuantity - sold + event.quantity, writtenOff: false },
        writeOff: false,
      };
    }
  }
}

function badQuantity(quantity: number, packQuantity: number): PackStep | undefined {
  if (Number.isInteger(quantity) && quantity >= 1 && quantity <= packQuantity) return undefined;
  return refuse(
    'invalid_quantity',
    `Expected a whole number of parts from 1 to ${packQuantity}, got ${JSON.stringify(quantity)}`,
  );
}

function refuse(code: PackRefusal, message: string): PackStep {
  return { ok: false, code, message };
}

/** "3/10 strips": the part as receipts and pages print it (English plural by `s`). */
export function partText(part: { quantity: number; packQuantity: number; unit: string }): string {
  return `${part.quantity}/${part.packQuantity} ${part.unit}${part.packQuantity === 1 ? '' : 's'}`;
}
