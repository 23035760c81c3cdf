import type { ReceiptExceptionReason } from '../ledger/types.js';
import type { LookupResult } from '../registry/types.js';

/**
 * What the registry says is wrong with receiving a unit, or undefined when nothing is: the same
 * facts the kiosk's verdict uses (terminal/verify/policy.ts), read for the back door. A unit the
 * registry does not know is a problem only when its product is covered (its codes are registered).
 * `today` is YYYY-MM-DD in the terminal's time zone.
 */
export function registryProblem(found: LookupResult, today: string): ReceiptExceptionReason | undefined {
  const { unit, product, batch } = found;
  if (!unit) return product?.covered ? 'not_in_registry' : undefined;
  if (product?.withdrawn || unit.status === 'withdrawn') return 'withdrawn';
  if (unit.status === 'recalled' || batch?.recalled) return 'recalled';
  if (unit.status === 'stolen' || unit.status === 'destroyed' || unit.status === 'locked') return 'blocked';
  if (unit.status === 'sold') return 'already_sold';
  if (batch?.expiryDate && batch.expiryDate < today) return 'expired';
  return undefined;
}
