import type { ParseResult } from '../codes/types.js';
import { registryFreshness } from '../registry/freshness.js';
import type { LookupResult, RegistryState } from '../registry/types.js';
import type { PolicyReason } from './reasons.js';
import type { CheckHistory, SoldInfo, Verdict, VerdictKind } from './types.js';
import { mismatchReason, unitMismatch } from './unit-mismatch.js';

/** What the policy may be configured with (a slice of the terminal config). */
export interface PolicyConfig {
  /** Registry older than this (from its `asOf`) cannot confirm a unit. DOMAIN.md: Chestny Znak's local module stops at 72 h. */
  maxRegistryAgeMs: number;
  /** Whether checkout may sell an expired unit without an override. DOMAIN.md: the 2008 terminal refused. */
  expiredPolicy: 'block' | 'allow';
  /** Whether checkout may sell a unit that cannot be confirmed (registry stale, product not covered). */
  unverifiablePolicy: 'block' | 'allow';
}

/** Everything the decision depends on; gathered by the Verifier, or by a test. */
export interface PolicyInput {
  parse: ParseResult;
  /** Registry lookup of the parsed key (product filled by product key when the unit is absent). */
  lookup: LookupResult;
  /** This terminal's own write-off of the key, from the ledger (already sold here). */
  localWriteOff?: { at: string; saleId: string; storeId: string; terminalId: string };
  /**
   * This terminal's write-off of the key made at the registry's `soldAt.at`, taken back by a return
   * here since (see `undoneByLocalReturn`); the Verifier reads it only for units the registry says are sold.
   */
  localReturn?: { at: string; saleId: string; storeId: string; terminalId: string };
  /** When the decision is made, and the registry's freshness then (`policyMoment`). */
  moment: PolicyMoment;
  /** Today's date (YYYY-MM-DD) in the terminal's time zone, for expiry. */
  today: string;
  history: CheckHistory;
  config: PolicyConfig;
  /** This store destroyed the unit (its own stock move, before any registry delta says so). */
  destroyedHere?: boolean;
}

/**
 * What every decision at one moment shares (a basket's lines are judged at one moment, so the
 * Verifier makes it once for all of them): its time as text and the registry's freshness.
 */
export interface PolicyMoment {
  /** `now` in ISO 8601: the verdict's `checkedAt`. */
  checkedAt: string;
  staleness: ReturnType<typeof registryStaleness>;
}

/** The moment `now`, with `registry` (undefined: none imported) judged by `maxRegistryAgeMs`. */
export function policyMoment(
  registry: RegistryState | undefined,
  now: Date,
  config: Pick<PolicyConfig, 'maxRegistryAgeMs'>,
): PolicyMoment {
  return {
    checkedAt: now.toISOString(),
    staleness: registryStaleness(registry, now, config.maxRegistryAgeMs),
  };
}

const STATUS_VERDICT: Partial<Record<string, VerdictKind>> = {
  recalled: 'recalled',
  withdrawn: 'withdrawn',
  stolen: 'stolen',
  destroyed: 'destroyed',
  locked: 'locked',
};

/**
 * Freshness of the registry: `undefined` when it can confirm units, else the reason why not.
 * Metadata past `expires` is refused (a frozen feed, DESIGN.md "Trust"); past `maxRegistryAgeMs`
 * from `asOf` it is too old to say a code was not sold elsewhere since (terminal/registry decides).
 */
export function registryStaleness(
  registry: RegistryState | undefined,
  now: Date,
  maxRegistryAgeMs: number,
): 'no_registry' | 'registry_expired' | 'registry_stale' | undefined {
  if (!registry) return 'no_registry';
  const freshness = registryFreshness(registry, now, maxRegistryAgeMs);
  return freshness === 'fresh' ? undefined : freshness === 'stale' ? 'registry_stale' : 'registry_expired';
}

/**
 * The one verification policy (DESIGN.md "Verdicts"), shared by kiosk and checkout. Pure.
 *
 * Order matters and is deliberate:
 * 0. a registry `sold` that a return here took back is undone first (`undoneByLocalReturn`);
 * 1. unreadable → `malformed`;
 * 2. known negatives win even on a stale registry (a recall or a write-off is never undone by age):
 *    written off here, withdrawn product, stored status, recalled batch, sold upstream;
 * 3. the code's batch (AI 10) or expiry (AI 17) disagreeing with the registered unit → `unknown`,
 *    reason `batch_mismatch` / `expiry_mismatch` (see "Mismatch" below);
 * 4. expiry from the batch or the code's own AI 17 (date facts do not need a fresh registry);
 * 5. only then can a stale/expired registry stop a positive answer → `unverifiable`;
 * 6. product-only (GTIN) scans are never `genuine`: there is no unit serial to check;
 * 7. a well-formed unit missing from a covered product is `unknown` (possible counterfeit).
 *
 * Mismatch (step 3): a real serial printed with another batch or date is the classic clone, so it
 * is `unknown` ("possible counterfeit"), never genuine. It comes after the known negatives: those
 * are settled facts about the serial, each already blocks the sale, and each carries the
 * instruction its reader needs (recalled: do not use, quarantine; sold before: copied code, with
 * the earlier sale for the clone alert). A mismatch is an inference about the pack in hand, so
 * it does not replace them as the headline; `Verdict.mismatch` carries it whatever the verdict,
 * the kiosk shows both values and checkout files it in its alert, so no evidence is lost. It
 * comes before expiry: with two dates that disagree neither can say the pack is in date, and
 * `expired` may be sellable by policy while a suspected clone never is. It comes before the
 * registry's age: a unit's batch and that batch's expiry are fixed at packing, so an old
 * registry still knows them (unlike "not registered", which a newer registry may answer).
 */
export function decideVerdict(input: PolicyInput): Verdict {
  const { parse, history, config, moment } = input;
  const lookup = undoneByLocalReturn(input.lookup, input.localReturn);
  const base = { history, checkedAt: moment.checkedAt };
  if (!parse.ok) {
    return {
      ...base,
      verdict: 'malformed',
      reason: parse.error.code,
      sellable: false,
      parseError: parse.error,
    };
  }
  const { unit, product, batch } = lookup;
  // Step 3's evidence, gathered first so that it rides on whichever verdict wins.
  const mismatch = unit ? unitMismatch(parse, unit, batch) : undefined;
  const facts = { ...base, code: parse, unit, product, batch, ...(mismatch ? { mismatch } : {}) };
  const make = (verdict: VerdictKind, reason: PolicyReason, extra: { sold?: SoldInfo } = {}): Verdict => ({
    ...facts,
    ...extra,
    verdict,
    reason,
    sellable: sellableFor(verdict, config),
  });

  if (input.localWriteOff && parse.kind !== 'gtin') {
    const w = input.localWriteOff;
    return make('already_sold', 'written_off_here', {
      sold: { where: 'here', storeId: w.storeId, terminalId: w.terminalId, at: w.at, saleId: w.saleId },
    });
  }
  if (product?.withdrawn) return make('withdrawn', 'product_withdrawn');
  if (unit) {
    const byStatus = STATUS_VERDICT[unit.status];
    if (byStatus) return make(byStatus, `status_${unit.status}` as PolicyReason);
    if (batch?.recalled) return make('recalled', 'batch_recalled');
    if (unit.status === 'sold') {
      const sold: SoldInfo = {
        where: 'upstream',
        storeId: unit.soldAt?.store ?? '',
        at: unit.soldAt?.at ?? '',
      };
      return make('already_sold', 'sold_upstream', { sold });
    }
  }
  // Destroyed here: a settled fact as final as the registry's `destroyed` (which says it later).
  if (input.destroyedHere && parse.kind !== 'gtin') return make('destroyed', 'destroyed_here');
  // Step 3: the code disagrees with its registered unit (possible clone).
  if (mismatch) return make('unknown', mismatchReason(mismatch));

  // Batch expiry from the registry first, else the code's own AI 17 (GS1 GenSpec §3.4.6).
  const expiry = batch?.expiryDate ?? parse.expiry;
  if (expiry && expiry < input.today) return make('expired', 'past_expiry');

  if (moment.staleness) return make('unverifiable', moment.staleness);
  if (parse.kind === 'gtin') return make('unverifiable', product ? 'no_serial' : 'product_not_in_registry');
  if (!product?.covered) {
    return make('unverifiable', product ? 'product_not_covered' : 'product_not_in_registry');
  }
  if (!unit) return make('unknown', 'not_in_registry');
  return make('genuine', unit.status === 'received' ? 'received_here' : 'active');
}

/**
 * Step 0 of the policy: a registry `sold` that is this store's own write-off, taken back by a return
 * here, no longer stands. The registry copy learns of the return only with upstream's next delta,
 * but the ledger here knows it at once (DOMAIN.md: a return re-activates the code; FMD Art. 13:
 * undone only at the premises that decommissioned it). Only this store's own sale is undone by its
 * own return: `soldAt` must name this store and the very time of the returned write-off, so a
 * later sale of the unit anywhere (a newer `soldAt`), or a sale at another store, still stands.
 * An active write-off here still wins: decideVerdict reads `localWriteOff` first.
 */
export function undoneByLocalReturn(
  lookup: LookupResult,
  localReturn: PolicyInput['localReturn'],
): LookupResult {
  const unit = lookup.unit;
  if (!localReturn || unit?.status !== 'sold' || !unit.soldAt) return lookup;
  if (unit.soldAt.store !== localReturn.storeId || unit.soldAt.at !== localReturn.at) return lookup;
  const { soldAt: _undone, ...rest } = unit;
  return { ...lookup, unit: { ...rest, status: 'active' } };
}

function sellableFor(verdict: VerdictKind, config: PolicyConfig): boolean {
  if (verdict === 'genuine') return true;
  if (verdict === 'expired') return config.expiredPolicy === 'allow';
  if (verdict === 'unverifiable') return config.unverifiablePolicy === 'allow';
  return false;
}
