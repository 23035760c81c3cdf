import type { Approval, SalePart, SoldContext } from '../ledger/payloads.js';
import type { AlertKind } from '../ledger/types.js';
import type { ReceivingMode } from '../receiving/options.js';
import type { CodeMismatch, Verdict } from '../verify/types.js';
import { codeTail } from './checkout-receipt.js';
import type { LineOutcome } from './checkout-types.js';
import type { CheckResponse } from './checkout-wire.js';
import { nextPackState, partText, unopenedPack } from './split-pack.js';

export type { LineOutcome };

/** The alerts a refused line files in the ledger (they flow upstream). */
export type LineAlert = Extract<AlertKind, 'clone' | 'unknown_code' | 'code_mismatch'>;

/** A flag on a line that is not refused: `not_received`, a unit this store never checked in. */
export type LineFlag = 'not_received';

/** What a line adds to its verdict: a split-pack part asked for, and the store's receiving mode. */
export interface LineContext {
  /** Parts of a splittable pack (拆零); absent: the whole pack, or what is left of an opened one. */
  quantity?: number | undefined;
  /** `receiving.mode`: flag units this store never checked in. @default 'off' */
  receiving?: ReceivingMode;
}

/** The one decision about one basket line, shared by `POST /api/v1/checkout/check` and the sale. */
export interface LineDecision {
  outcome: LineOutcome;
  /** Machine reason: the verdict's (`active`, `no_serial`, `batch_recalled`, `batch_mismatch`, …). */
  reason: string;
  /** For the cashier, in English (the page words it from `reason` and the verdict). */
  message: string;
  /**
   * The key the sale writes off when this line is sold: the unit code. Undefined for product-only
   * lines (EAN/UPC or GTIN without a serial name a product, not a unit: DESIGN.md "Verdicts") and
   * for unreadable scans. Two lines with the same key in one basket are one unit scanned twice.
   */
  writeOff: string | undefined;
  /** The line is a product-only code (parse kind `gtin`). */
  productOnly: boolean;
  /**
   * The approval the sale line records: on an `unverifiable` line, or a `not_received` one under
   * `receiving.mode` enforce, that was given one.
   */
  override?: Approval;
  /** The alert a refusal files (refused lines only). */
  alert?: LineAlert;
  /**
   * A split-pack line (拆零) that sells part of a pack: the part, and the parts left before this
   * line. `writeOff` is then the code only when the part is the pack's last.
   */
  part?: SalePart & { remaining: number };
  /**
   * `not_received` (receiving.mode warn or enforce): a unit code this store never checked in, on a
   * line not refused for anything else. Such a line files a `diversion` alert whether it is sold or
   * not; under enforce it is `overridable` until a manager approves it.
   */
  flag?: LineFlag;
}

/**
 * Decides one line from its verdict and the supervisor approval given for it, if any. Pure.
 *
 * - sellable: the policy says so (`verdict.sellable`: genuine, and expired/unverifiable where the
 *   config allows), or the line is `unverifiable` and carries an approval;
 * - overridable: `unverifiable` and not sellable without one (registry too old, product not
 *   covered, product-only code): the only verdict a supervisor may take responsibility for;
 * - refused: everything else, whatever approval comes with it. A refusal files an alert when it is
 *   evidence: `clone` for a code sold before, `code_mismatch` for a code whose batch/expiry
 *   disagree with its unit (whatever verdict won), `unknown_code` for an unregistered code.
 *
 * With `receiving` warn or enforce, a unit code the verifier did not find received here is flagged
 * `not_received` (see `LineDecision.flag`): warn keeps the outcome and adds a note; enforce turns a
 * sellable line into an overridable one (reason `not_received`) that a manager's approval sells.
 */
export function decideLine(
  verdict: Verdict,
  override?: Approval,
  { quantity, receiving = 'off' }: LineContext = {},
): LineDecision {
  const decision = leftStock(verdict, decideSplit(verdict, override, quantity));
  // Receiving adds a flag, not a verdict (DESIGN.md "Verdicts"): only a unit code (a product-only
  // code names no unit) on a line that is not refused for its verdict. `received` is set by the
  // verifier whenever the mode is not off, so its absence means "never checked in here".
  // A part of a split pack names its unit too, though only the last part writes it off.
  const unit = decision.writeOff ?? (decision.part ? verdict.code?.key : undefined);
  if (receiving === 'off' || unit === undefined || decision.outcome === 'refused') return decision;
  // Received here by the terminal's own receiving, or per the registry (`received_here`: upstream
  // reports the unit checked in at this store, e.g. at the store's back-door terminal).
  if (verdict.received || verdict.reason === 'received_here') return decision;
  const flagged: LineDecision = { ...decision, flag: 'not_received' };
  if (receiving === 'warn' || decision.outcome === 'overridable') {
    return { ...flagged, message: `${decision.message}; ${NOT_RECEIVED}` };
  }
  // enforce: sellable by its verdict, but sold only on a manager's approval.
  if (override) {
    return {
      ...flagged,
      outcome: 'sellable',
      override,
      message: `Sold on ${override.by}'s approval; ${NOT_RECEIVED}`,
    };
  }
  return {
    ...flagged,
    outcome: 'overridable',
    reason: 'not_received',
    message: `${NOT_RECEIVED[0]!.toUpperCase()}${NOT_RECEIVED.slice(1)}; a manager may approve the sale`,
  };
}

const NOT_RECEIVED = 'not received by this store (never checked in from a delivery)';

const LEFT_STOCK = {
  destroyed: ['destroyed_here', 'Destroyed by this store: not for sale'],
  transferred: ['shipped_out', 'Transferred to another store: not for sale here'],
  returned_to_supplier: ['shipped_out', 'Returned to the supplier: not for sale here'],
  lost: ['lost_here', 'Written off as lost at a stocktake: a manager finds it back in stock first'],
} as const;

/**
 * A unit this store's own stock says left it (`verdict.leftStock`: destroyed, shipped out, lost) is
 * refused whatever its verdict allows, with no alert: the store itself moved it, so its code turning
 * up again is a stock question for the manager, not evidence of a copied code. A line already
 * refused keeps its refusal (and its alert: a unit sold elsewhere since is still a clone).
 */
function leftStock(verdict: Verdict, decision: LineDecision): LineDecision {
  if (!verdict.leftStock || decision.outcome === 'refused') return decision;
  const [reason, message] = LEFT_STOCK[verdict.leftStock.move];
  return splitRefusal(decision, reason, message);
}

/** The decision from the verdict and a split-pack quantity, before receiving's flag. */
function decideSplit(verdict: Verdict, override?: Approval, quantity?: number): LineDecision {
  const decision = decideVerdictLine(verdict, override);
  const split = verdict.product?.split;
  if (decision.outcome === 'overridable' && quantity !== undefined && !split) return notSplittable(decision);
  if (decision.outcome !== 'sellable') {
    // A pack sold out in parts here, asked for another part: nothing left, not a copied code.
    if (quantity !== undefined && verdict.split?.remaining === 0 && verdict.sold?.where === 'here') {
      const { packQuantity, unit } = verdict.split;
      return splitRefusal(
        decision,
        'exceeds_remaining',
        `The pack is sold out: 0 of ${packQuantity} ${unit}s left`,
      );
    }
    return decision;
  }
  if (!split || decision.productOnly) return quantity === undefined ? decision : notSplittable(decision);
  const remaining = verdict.split?.remaining ?? split.packQuantity;
  // Without a quantity: the whole pack as ever, or what is left of an opened one.
  const asked = quantity ?? (remaining < split.packQuantity ? remaining : undefined);
  if (asked === undefined) return decision;
  const state = { ...unopenedPack(split.packQuantity), remaining };
  const step = nextPackState(state, { kind: 'sell_part', quantity: asked });
  if (!step.ok) {
    // The sale validated `quantity` as a whole number ≥ 1: what fails here is asking for more than
    // the pack holds or has left, one reason for the cashier.
    return splitRefusal(
      decision,
      'exceeds_remaining',
      `Only ${remaining} of ${split.packQuantity} ${split.unit}s left, ${asked} asked`,
    );
  }
  const part = { packQuantity: split.packQuantity, quantity: asked, unit: split.unit };
  return {
    ...decision,
    writeOff: step.writeOff ? decision.writeOff : undefined,
    message: `Sellable; ${partText(part)}${step.writeOff ? ', the last: the code is written off' : `, ${step.state.remaining} left`}`,
    part: { ...part, remaining },
  };
}

/** A quantity on a product its registry entry does not mark splittable. */
function notSplittable(decision: LineDecision): LineDecision {
  return splitRefusal(
    decision,
    'not_splittable',
    'This product is sold as whole packs only: a quantity applies only to products the registry marks splittable',
  );
}

function splitRefusal(decision: LineDecision, reason: string, message: string): LineDecision {
  const { alert: _alert, override: _override, part: _part, ...rest } = decision;
  return { ...rest, outcome: 'refused', reason, message };
}

/** The decision from the verdict alone about a line that sells the whole pack. */
function decideVerdictLine(verdict: Verdict, override?: Approval): LineDecision {
  const productOnly = verdict.code?.kind === 'gtin';
  const writeOff = verdict.code && !productOnly ? verdict.code.key : undefined;
  const base = { reason: verdict.reason, writeOff, productOnly };
  const overridable = verdict.verdict === 'unverifiable';
  const approval = overridable ? override : undefined;
  if (verdict.sellable || approval) {
    const what = productOnly ? 'product-only code, nothing is written off' : 'the code is written off';
    return {
      ...base,
      outcome: 'sellable',
      message: approval ? `Sold on ${approval.by}'s approval; ${what}` : `Sellable; ${what}`,
      ...(approval ? { override: approval } : {}),
    };
  }
  if (overridable) {
    return {
      ...base,
      outcome: 'overridable',
      message: productOnly
        ? `Product-only code (${verdict.reason}): no unit to confirm; a supervisor may approve the sale`
        : `Cannot be confirmed (${verdict.reason}); a supervisor may approve the sale`,
    };
  }
  const alert = alertOf(verdict);
  return { ...base, outcome: 'refused', message: refusalMessage(verdict), ...(alert ? { alert } : {}) };
}

function alertOf(verdict: Verdict): LineAlert | undefined {
  if (!verdict.code) return undefined;
  if (verdict.verdict === 'already_sold' && verdict.sold) return 'clone';
  if (verdict.mismatch) return 'code_mismatch';
  if (verdict.verdict === 'unknown') return 'unknown_code';
  return undefined;
}

function refusalMessage(verdict: Verdict): string {
  if (verdict.verdict === 'malformed') {
    return `Cannot read this code (${verdict.reason})${verdict.parseError ? `: ${verdict.parseError.message}` : ''}`;
  }
  if (verdict.verdict === 'already_sold' && verdict.sold) return soldMessage(verdict.sold);
  const base = `${verdict.verdict.replaceAll('_', ' ')} (${verdict.reason})`;
  return verdict.mismatch ? `${base}: ${mismatchText(verdict.mismatch)}` : base;
}

/** "Already sold … : possible copied code", for a refusal and for a clone found at commit. */
export function soldMessage(sold: SoldContext): string {
  const when = sold.at ? ` on ${sold.at}` : '';
  return `Already sold${when} at store ${sold.storeId || '?'}${sold.saleId ? ` (sale ${sold.saleId})` : ''}: possible copied code`;
}

/** "batch L9 on the pack, L2506 registered; …": possible counterfeit. */
export function mismatchText(m: CodeMismatch): string {
  const parts = [
    ...(m.batch ? [`batch ${m.batch.scanned} on the pack, ${m.batch.registered} registered`] : []),
    ...(m.expiry ? [`expiry ${m.expiry.scanned} on the pack, ${m.expiry.registered} registered`] : []),
  ];
  return `${parts.join('; ')}: possible counterfeit`;
}

/** The answer of `POST /api/v1/checkout/check`: the verdict and the line decision without approval. */
export function checkResponse(verdict: Verdict, context: LineContext = {}): CheckResponse {
  const decision = decideLine(verdict, undefined, context);
  const key = verdict.code?.key;
  return {
    verdict: verdict.verdict,
    // The decision's reason: the verdict's, a split-pack refusal (`not_splittable`,
    // `exceeds_remaining`) or `not_received` under receiving.mode enforce.
    reason: decision.reason,
    decision: decision.outcome,
    sellable: decision.outcome === 'sellable',
    overridable: decision.outcome === 'overridable',
    message: decision.message,
    checkedAt: verdict.checkedAt,
    ...(key ? { codeKey: key, codeTail: codeTail(key) } : {}),
    ...(decision.productOnly ? { productOnly: true as const } : {}),
    ...(decision.flag ? { flag: decision.flag } : {}),
    ...(verdict.received ? { received: verdict.received } : {}),
    ...(verdict.product ? { product: verdict.product } : {}),
    ...(verdict.sold ? { sold: verdict.sold } : {}),
    ...(verdict.mismatch ? { mismatch: verdict.mismatch } : {}),
    ...(splitOf(verdict) ? { split: splitOf(verdict)! } : {}),
  };
}

/** A splittable product's pack for the page: its size, unit and the parts left here. */
function splitOf(verdict: Verdict): CheckResponse['split'] {
  if (verdict.split) return verdict.split;
  const split = verdict.product?.split;
  if (!split) return undefined;
  return { ...split, remaining: verdict.verdict === 'already_sold' ? 0 : split.packQuantity };
}
