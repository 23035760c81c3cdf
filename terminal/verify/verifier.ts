import type { ParsedCode, ParseResult } from '../codes/types.js';
import type { LocalLedgerView } from '../ledger/types.js';
import type { LookupResult, RegistryReader } from '../registry/types.js';
import { decideVerdict, type PolicyConfig, type PolicyMoment, policyMoment } from './policy.js';
import type { QueryLog } from './query-log.js';
import type { LeftStock, Verdict } from './types.js';

export interface VerifierConfig extends PolicyConfig {
  /** IANA zone whose calendar day decides expiry. @default the system zone */
  timeZone?: string;
}

export interface VerifierDeps {
  /** `parseCode` from terminal/codes (injected so tests and the bench can pin options). */
  parse: (input: string, options?: { aim?: string }) => ParseResult;
  /** `productKeyOf` from terminal/codes: the registry product key of a parsed code. */
  productKeyOf: (code: ParsedCode) => string | undefined;
  registry: RegistryReader;
  /** Local write-offs (already sold here); absent on a kiosk-only terminal without a ledger. */
  ledger?: LocalLedgerView;
  queryLog: QueryLog;
  /**
   * The store's receiving (terminal/receiving `ReceivedUnits`), only when `receiving.mode` is `warn`
   * or `enforce`: one indexed lookup per unit code sets `received` on the verdict. Absent: no lookup.
   */
  receiving?: {
    of(key: string, productKey: string): UnitReceiptView | undefined;
    /** `of` for a basket in one go: unit key → receipt (absent: on no note). */
    ofMany?(units: readonly { key: string; productKey: string }[]): Map<string, UnitReceiptView>;
  };
  /**
   * The store's own stock moves (terminal/stock `MovedOutUnits`): a unit destroyed, shipped out or
   * lost here is refused at checkout at once (docs/stock.md "Checkout reads stock"). One indexed
   * lookup per unit code. Absent (a kiosk-only terminal): no lookup.
   */
  stock?: { of(key: string, productKey: string): LeftStock | undefined };
  config: VerifierConfig;
  clock?: () => Date;
}

export interface VerifyOptions {
  /** Where the check came from (`kiosk`, `checkout`, `api`, `wedge`). @default 'api' */
  source?: string;
  deviceId?: string;
  /**
   * AIM symbology identifier the scanner reported beside the data (HID POS `Scan.symbology`);
   * the code reader uses it when the data carries no prefix of its own.
   */
  aim?: string;
  /** Record this check in the query log. Checkout re-checks at completion pass false. @default true */
  record?: boolean;
  /**
   * Read the code's check history from the query log. The policy never decides on it; checkout's
   * re-check at completion passes false (one query-log read less per line) and gets
   * `{ checksHere: 0 }`. @default true
   */
  history?: boolean;
}

/** A unit code's canonical key and its product's key. */
interface UnitKeys {
  key: string;
  productKey: string;
}

/** What the verifier reads of a unit's receipt (terminal/receiving `UnitReceipt`). */
export interface UnitReceiptView {
  state: string;
  supplierName: string;
  closedAt?: string;
}

/** A verdict plus the id of its query-log row (0 when not recorded). */
export type VerifiedCheck = Verdict & { checkId: number };

/**
 * Parse → look up → policy → query log. The history attached to a verdict counts the checks
 * *before* this one, so a first-ever scan says "never checked before".
 */
export class Verifier {
  readonly #deps: VerifierDeps;
  readonly #day: Intl.DateTimeFormat;

  constructor(deps: VerifierDeps) {
    this.#deps = deps;
    // en-CA formats as YYYY-MM-DD, which compares as text with registry dates.
    this.#day = new Intl.DateTimeFormat('en-CA', {
      timeZone: deps.config.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /**
   * The canonical key of a scan, or undefined when it does not parse: for callers that only
   * compare codes (idempotent retries) and need no lookup, policy or history.
   */
  keyOf(input: string): string | undefined {
    const parsed = this.#deps.parse(input);
    return parsed.ok ? parsed.key : undefined;
  }

  verify(input: string, options: VerifyOptions = {}): VerifiedCheck {
    return this.verifyMany([input], options)[0]!;
  }

  /**
   * Verifies several scans at one moment (a checkout basket): the clock, the calendar day, the
   * registry state and, where the ledger offers it, the local write-offs are read once for all.
   * Each result is what `verify` would give for that scan.
   */
  verifyMany(inputs: readonly string[], options: VerifyOptions = {}): VerifiedCheck[] {
    const { registry } = this.#deps;
    // One registry snapshot for the whole basket (and the registry state it is judged by).
    return registry.reading
      ? registry.reading(() => this.#verifyAll(inputs, options))
      : this.#verifyAll(inputs, options);
  }

  #verifyAll(inputs: readonly string[], options: VerifyOptions): VerifiedCheck[] {
    const { parse, registry, ledger } = this.#deps;
    const now = (this.#deps.clock ?? (() => new Date()))();
    const shared = {
      today: this.#day.format(now),
      moment: policyMoment(registry.state(), now, this.#deps.config),
    };
    const parsed = inputs.map((input) =>
      options.aim === undefined ? parse(input) : parse(input, { aim: options.aim }),
    );
    const keys = parsed.flatMap((p) => (p.ok ? [p.key] : []));
    const local = keys.length > 1 && ledger?.writeOffsOf ? ledger.writeOffsOf(keys) : undefined;
    const units = parsed.map((p) => this.#unitOf(p));
    const receipts = keys.length > 1 ? this.#receiptsOf(units) : undefined;
    return parsed.map((p, i) =>
      this.#decide(p, options, {
        ...shared,
        localWriteOff: p.ok ? (local ? local.get(p.key) : ledger?.writeOffOf(p.key)) : undefined,
        unit: units[i],
        receipts,
      }),
    );
  }

  #decide(
    parsed: ParseResult,
    options: VerifyOptions,
    at: {
      today: string;
      moment: PolicyMoment;
      localWriteOff: ReturnType<LocalLedgerView['writeOffOf']>;
      /** The scan's unit and product keys (`#unitOf`), for the stock and receiving lookups. */
      unit: UnitKeys | undefined;
      /** A basket's receipts read in one go (`#receiptsOf`); else each unit is looked up alone. */
      receipts: Map<string, UnitReceiptView> | undefined;
    },
  ): VerifiedCheck {
    const { registry, queryLog, config } = this.#deps;
    let lookup: LookupResult = {};
    let key: string | undefined;
    const leftStock = at.unit && this.#deps.stock?.of(at.unit.key, at.unit.productKey);
    if (parsed.ok) {
      key = parsed.key;
      lookup = registry.lookup(parsed.key);
      if (!lookup.product) {
        const productKey = this.#deps.productKeyOf(parsed);
        const product = productKey === undefined ? undefined : registry.lookupProduct(productKey);
        if (product) lookup = { ...lookup, product };
      }
    }
    const verdict = decideVerdict({
      parse: parsed,
      lookup,
      localWriteOff: at.localWriteOff,
      localReturn: this.#localReturn(key, lookup, at.localWriteOff),
      moment: at.moment,
      today: at.today,
      ...(leftStock?.move === 'destroyed' ? { destroyedHere: true } : {}),
      history: withUpstream(
        key === undefined || options.history === false ? { checksHere: 0 } : queryLog.history(key),
        lookup,
      ),
      config,
    });
    if (leftStock) verdict.leftStock = leftStock;
    const split = this.#splitState(key, lookup);
    if (split) verdict.split = split;
    if (at.unit) this.#addReceived(verdict, at.unit, at.receipts);
    let checkId = 0;
    if (options.record !== false) {
      checkId = queryLog.record({
        key,
        verdict: verdict.verdict,
        reason: verdict.reason,
        source: options.source ?? 'api',
        ...(options.deviceId ? { deviceId: options.deviceId } : {}),
        checkedAt: verdict.checkedAt,
      });
    }
    // The verdict is this call's own object: the id goes on it rather than on a copy.
    return Object.assign(verdict, { checkId });
  }

  /**
   * A unit code's keys, when a lookup by unit needs them (stock moves, receiving): the product key
   * is derived once per scan. Product-only codes name no unit.
   */
  #unitOf(parsed: ParseResult): UnitKeys | undefined {
    if (!this.#deps.stock && !this.#deps.receiving) return undefined;
    if (!parsed.ok || parsed.kind === 'gtin') return undefined;
    const productKey = this.#deps.productKeyOf(parsed);
    return productKey === undefined ? undefined : { key: parsed.key, productKey };
  }

  /** A basket's unit codes' receipts in one statement, when receiving is on and can batch. */
  #receiptsOf(units: readonly (UnitKeys | undefined)[]): Map<string, UnitReceiptView> | undefined {
    const receiving = this.#deps.receiving;
    if (!receiving?.ofMany) return undefined;
    return receiving.ofMany(units.filter((u) => u !== undefined));
  }

  /** `verdict.received` for a unit this store checked in. */
  #addReceived(verdict: Verdict, unit: UnitKeys, receipts: Map<string, UnitReceiptView> | undefined): void {
    const receiving = this.#deps.receiving;
    if (!receiving) return;
    const receipt = receipts ? receipts.get(unit.key) : receiving.of(unit.key, unit.productKey);
    if (receipt?.state !== 'received') return;
    verdict.received = {
      supplier: receipt.supplierName,
      ...(receipt.closedAt ? { at: receipt.closedAt } : {}),
    };
  }

  /**
   * A splittable product's pack opened here (split-pack sales, terminal/lanes/split-pack.ts): the
   * parts left of it. Asked only for products with a `split` (one indexed read).
   */
  #splitState(key: string | undefined, lookup: LookupResult): Verdict['split'] {
    const split = lookup.product?.split;
    const ledger = this.#deps.ledger;
    if (key === undefined || !split || !ledger?.splitSoldOf) return undefined;
    const sold = ledger.splitSoldOf([key]).get(key) ?? 0;
    if (sold === 0) return undefined;
    return {
      packQuantity: split.packQuantity,
      unit: split.unit,
      remaining: Math.max(0, split.packQuantity - sold),
    };
  }

  /**
   * The returned write-off here that a registry `sold` may stand for (policy.ts
   * `undoneByLocalReturn`): read only for a sold unit with no active write-off here.
   */
  #localReturn(
    key: string | undefined,
    lookup: LookupResult,
    localWriteOff: ReturnType<LocalLedgerView['writeOffOf']>,
  ): ReturnType<NonNullable<LocalLedgerView['returnedWriteOffOf']>> {
    const soldAt = lookup.unit?.status === 'sold' ? lookup.unit.soldAt : undefined;
    const ledger = this.#deps.ledger;
    if (key === undefined || localWriteOff || !soldAt || !ledger?.returnedWriteOffOf) return undefined;
    return ledger.returnedWriteOffOf(key, soldAt.at);
  }
}

function withUpstream(history: Verdict['history'], lookup: LookupResult): Verdict['history'] {
  const upstream = lookup.unit?.upstreamChecks;
  return upstream === undefined ? history : { ...history, upstreamChecks: upstream };
}
