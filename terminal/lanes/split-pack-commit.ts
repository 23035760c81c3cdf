import type { SaleLinePayload } from '../ledger/payloads.js';
import type { SaleWriter } from '../ledger/types.js';
import type { RefusedLine } from './checkout-wire.js';

/** A sale line as the commit step sees it, with its split pack (拆零) when it has one. */
export interface PackLine {
  line: number;
  payload: SaleLinePayload;
  writeOff: string | undefined;
  /**
   * A splittable product's pack: its code and the parts sold here when the line was judged,
   * checked again at commit (another lane may have sold parts meanwhile).
   */
  pack?: { key: string; packQuantity: number; sold: number };
}

/**
 * Under the write lock (CheckoutService.commitPrepared): the parts of each split pack sold since
 * `prepare` (another lane, an earlier sale of the batch). A part that no longer fits is refused
 * (`exceeds_remaining`, no clone alert: selling parts of one pack on two lanes is lawful); a part
 * that became the last takes the write-off (`line.writeOff` is set here); a whole-pack line of a
 * pack opened meanwhile is refused (`sold_concurrently`). `active` holds the active write-offs of
 * the lines' codes, read under the same lock.
 */
export function recheckPacks(
  lines: readonly PackLine[],
  active: ReadonlyMap<string, unknown>,
  writer: Pick<SaleWriter, 'splitSoldOf'>,
): RefusedLine[] {
  const packs = lines.filter((l) => l.pack);
  if (packs.length === 0) return [];
  const refused: RefusedLine[] = [];
  const soldNow = writer.splitSoldOf(packs.map((l) => l.pack!.key));
  for (const l of packs) {
    const { key, packQuantity, sold } = l.pack!;
    const now = soldNow.get(key) ?? 0;
    const part = l.payload.part;
    if (now === sold && !(part && active.has(key))) continue;
    const left = active.has(key) ? 0 : packQuantity - now;
    if (!part) {
      if (active.has(key)) continue; // a whole pack sold meanwhile: the write-off check refused it
      refused.push(
        packRefusal(l, `The pack was opened by another sale meanwhile (${left} of ${packQuantity} left)`),
      );
    } else if (part.quantity > left) {
      refused.push(
        packRefusal(
          l,
          `Only ${left} of ${packQuantity} ${part.unit}s left, ${part.quantity} asked (sold by another sale meanwhile)`,
        ),
      );
    } else {
      l.writeOff = part.quantity === left ? key : undefined;
    }
  }
  return refused;
}

function packRefusal(l: PackLine, message: string): RefusedLine {
  return {
    line: l.line,
    codeKey: l.payload.codeKey,
    verdict: l.payload.verdict,
    reason: l.payload.part ? 'exceeds_remaining' : 'sold_concurrently',
    message,
    overridable: false,
  };
}

/**
 * An idempotent retry asks for the parts the stored sale sold: every input line with a `quantity`
 * names a stored split-pack line of that quantity (a line without one took what was left).
 */
export function sameQuantities(
  stored: readonly SaleLinePayload[],
  lines: readonly { data: string; quantity?: number }[],
  keyOf: (data: string) => string | undefined,
): boolean {
  if (!lines.some((l) => l.quantity !== undefined)) return true;
  const sold = new Map(stored.map((l) => [l.codeKey, l.part?.quantity]));
  return lines.every((l) => l.quantity === undefined || sold.get(keyOf(l.data) ?? '') === l.quantity);
}
