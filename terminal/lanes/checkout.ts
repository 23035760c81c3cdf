import type { Ledger } from '../ledger/ledger.js';
import type {
  AlertPayload,
  SaleLinePayload,
  SalePayload,
  SoldContext,
  WriteOffPayload,
} from '../ledger/payloads.js';
import type { SaleWriter, StoredSale } from '../ledger/types.js';
import type { Logger } from '../logger.js';
import type { Verdict } from '../verify/types.js';
import { buildSaleReceipt, codeTail } from './checkout-receipt.js';
import type { CheckoutDeps, RefusedLine, SaleInput, SaleOutcome, SaleView } from './checkout-types.js';
import type { CheckResponse } from './checkout-wire.js';
import { checkResponse, decideLine, soldMessage } from './line-decision.js';
import { type PackLine, recheckPacks, sameQuantities } from './split-pack-commit.js';

/** A sale that passed `prepare`: what to write, and what was refused already. */
export interface PreparedSale {
  input: SaleInput;
  accepted: Accepted[];
  refused: Refusal[];
}

/** A line that passed the rules, ready to be written (a split pack's: see split-pack-commit.ts). */
interface Accepted extends PackLine {
  line: number;
  payload: SaleLinePayload;
  /** The unit key its write-off takes; undefined for a product-only line (no write-off). */
  writeOff: string | undefined;
  /** A `not_received` line's `diversion` alert, written with the sale or with its refusal. */
  alert?: AlertPayload;
}

/** A refused line with what the ledger must remember about it (clone/unknown alerts). */
interface Refusal extends RefusedLine {
  alert?: AlertPayload;
}

/**
 * Completes sales: verify every line with the shared policy, decide each line (line-decision.ts,
 * the same decision `check` answers with), refuse what cannot be sold (with a reason per line),
 * then write the sale, one write-off per unit code (none for product-only lines) and their outbox
 * rows in ONE durable transaction, and only then hand the receipt to the print queue.
 */
export class CheckoutService {
  readonly ledger: Ledger;
  private readonly clock: () => Date;
  private readonly log: Logger | undefined;

  constructor(private readonly deps: CheckoutDeps) {
    this.ledger = deps.ledger;
    this.clock = deps.clock ?? (() => new Date());
    this.log = deps.logger?.child({ module: 'checkout' });
  }

  /** Verifies one scan for the basket (recorded in the query log as a `checkout` check). */
  check(data: string, options: { deviceId?: string } = {}): Verdict {
    return this.deps.verifier.verify(data, { source: 'checkout', ...options });
  }

  /** `check` with the line decision the sale will make (POST /api/v1/checkout/check). */
  checkLine(data: string, options: { deviceId?: string; quantity?: number } = {}): CheckResponse {
    const { quantity, ...check } = options;
    return checkResponse(this.check(data, check), { quantity, receiving: this.receivingMode });
  }

  /** `receiving.mode`: whether lines of units never checked in here are flagged `not_received`. */
  private get receivingMode() {
    return this.deps.receiving?.mode ?? 'off';
  }

  /** Completes one sale in its own durable transaction (see SaleBatcher for group commit). */
  completeSale(input: SaleInput): SaleOutcome {
    const prepared = this.prepare(input);
    if ('ok' in prepared) return prepared;
    const outcome = this.ledger.transaction(() => this.commitPrepared(prepared));
    this.afterCommit(outcome);
    return outcome;
  }

  /**
   * Step 1, outside any transaction: validation, idempotent replay, and the rules for every line
   * (verification). Returns the final outcome when nothing is left to write.
   */
  prepare(input: SaleInput): SaleOutcome | PreparedSale {
    const invalid = validateSale(input, this.deps.config?.maxLines ?? 200);
    if (invalid) return { ok: false, code: 'invalid_sale', message: invalid };
    // One read snapshot for the idempotency lookup and the basket's write-offs.
    return this.ledger.reading(() => this.replay(input) ?? { input, ...this.judge(input) });
  }

  /**
   * Step 2, inside `ledger.transaction` (under the write lock): re-checks what another lane or
   * a retry may have committed since `prepare`, then writes the sale and one write-off per line,
   * or only the alerts of a refusal. `writer` is the ledger, or a plan of a group commit whose
   * signatures are made off the event loop (SaleBatcher).
   */
  commitPrepared(prepared: PreparedSale, writer: SaleWriter = this.ledger): SaleOutcome {
    const { input, accepted } = prepared;
    const refused = [...prepared.refused];
    const again = this.replay(input, writer);
    if (again) return again;
    // Only unit codes are written off, so only they can have been sold since `prepare`.
    const active = writer.writeOffsOf(accepted.flatMap((a) => (a.writeOff ? [a.writeOff] : [])));
    // Every split pack's code too: its last part may have been sold meanwhile (see recheckPacks).
    const packKeys = accepted.flatMap((a) => (a.pack && !a.writeOff ? [a.pack.key] : []));
    if (packKeys.length > 0) for (const [k, w] of writer.writeOffsOf(packKeys)) active.set(k, w);
    for (const line of accepted) {
      const sold = line.writeOff ? active.get(line.writeOff) : undefined;
      if (!sold || line.payload.part) continue;
      const previous: SoldContext = {
        where: 'here',
        storeId: sold.storeId,
        terminalId: sold.terminalId,
        at: sold.at,
        saleId: sold.saleId,
      };
      refused.push(this.cloneRefusal(line.line, line.payload.codeKey, previous, input, 'sold_concurrently'));
    }
    refused.push(...recheckPacks(accepted, active, writer));
    // A diversion goes upstream either way: with the sale, or with the refusal of the basket.
    const diversions = accepted.flatMap((a) => (a.alert ? [a.alert] : []));
    if (refused.length > 0) return this.refuse(refused, writer, diversions);
    const sale = writer.append<SalePayload>('sale', {
      cashier: input.cashier,
      externalRef: input.externalRef,
      lines: accepted.map((a) => a.payload),
    });
    const writeOffs = accepted.flatMap((a) =>
      a.writeOff
        ? [
            writer.append<WriteOffPayload>('write_off', {
              codeKey: a.writeOff,
              line: a.line,
              saleId: sale.id,
            }),
          ]
        : [],
    );
    for (const alert of diversions)
      writer.append('alert', { ...alert, note: `${alert.note}: sale ${sale.id}` });
    return { ok: true, replayed: false, sale: toView({ sale, writeOffs }) };
  }

  /** Step 3, after the commit is durable: hand a new sale's receipt to the print queue. */
  afterCommit(outcome: SaleOutcome): void {
    if (outcome.ok && !outcome.replayed) this.printReceipt(outcome.sale);
  }

  /** Records that the print queue printed a sale's receipt. */
  markReceiptPrinted(saleId: string, jobId?: string): void {
    this.ledger.append('receipt_printed', { saleId, jobId });
  }

  /** A stored sale by id, as the API shows it. */
  sale(saleId: string): SaleView | undefined {
    const stored = this.ledger.sale(saleId);
    return stored ? toView(stored) : undefined;
  }

  private replay(input: SaleInput, reads: SaleWriter = this.ledger): SaleOutcome | undefined {
    if (input.externalRef === undefined) return undefined;
    const stored = reads.saleByExternalRef(input.externalRef);
    if (!stored) return undefined;
    const view = toView(stored);
    const before = view.lines
      .map((l) => l.codeKey)
      .sort()
      .join('\n');
    const now = input.lines
      .map((l) => this.deps.verifier.keyOf(l.data) ?? '')
      .sort()
      .join('\n');
    if (before !== now || !sameQuantities(view.lines, input.lines, (d) => this.deps.verifier.keyOf(d))) {
      return {
        ok: false,
        code: 'idempotency_conflict',
        message: `externalRef '${input.externalRef}' was already used for sale ${view.saleId} with other lines`,
      };
    }
    return { ok: true, replayed: true, sale: view };
  }

  /** Applies the rules to every line (decideLine); nothing is written here. */
  private judge(input: SaleInput): { accepted: Accepted[]; refused: Refusal[] } {
    const accepted: Accepted[] = [];
    const refused: Refusal[] = [];
    const seen = new Set<string>();
    // Neither recorded nor reading history: the basket scan (`check`) already did both.
    const verdicts = this.deps.verifier.verifyMany(
      input.lines.map((l) => l.data),
      { source: 'checkout', record: false, history: false },
    );
    input.lines.forEach((lineInput, line) => {
      const verdict = verdicts[line]!;
      const key = verdict.code?.key;
      const decision = decideLine(verdict, lineInput.override, {
        quantity: lineInput.quantity,
        receiving: this.receivingMode,
      });
      const refusal = (reason: string, message: string, overridable: boolean): Refusal => ({
        line,
        ...(key ? { codeKey: key } : {}),
        verdict: verdict.verdict,
        reason,
        message,
        overridable,
        ...(verdict.mismatch ? { mismatch: verdict.mismatch } : {}),
      });
      // One unit scanned twice. Product-only lines are different packs of one product: a basket
      // may hold several, none written off.
      // A split-pack line that is not the last part writes nothing off, yet is the same unit.
      const unit = decision.writeOff ?? (decision.part ? key : undefined);
      if (unit !== undefined && seen.has(unit)) {
        refused.push(
          refusal('duplicate_line', `Line ${line + 1} scans the same unit as an earlier line`, false),
        );
        return;
      }
      if (unit !== undefined) seen.add(unit);
      if (decision.outcome !== 'sellable') {
        const r = refusal(decision.reason, decision.message, decision.outcome === 'overridable');
        if (decision.alert === 'clone' && key && verdict.sold) {
          r.alert = this.cloneAlert(key, verdict.sold, input, verdict);
        } else if (decision.alert && key) {
          r.alert = this.alert(decision.alert, key, verdict, input);
        } else if (decision.flag && key) {
          r.alert = this.diversionAlert(key, verdict, input, 'refused: needs a manager approval');
        }
        refused.push(r);
        return;
      }
      const split = verdict.product?.split;
      const outcome = decision.override ? `sold on ${decision.override.by}'s approval` : 'sold with a note';
      accepted.push({
        line,
        writeOff: decision.writeOff,
        ...(decision.flag && key ? { alert: this.diversionAlert(key, verdict, input, outcome) } : {}),
        ...(split && !decision.productOnly
          ? {
              pack: {
                key: key!,
                packQuantity: split.packQuantity,
                sold:
                  split.packQuantity -
                  (decision.part?.remaining ?? verdict.split?.remaining ?? split.packQuantity),
              },
            }
          : {}),
        // Keys in sorted order, as in every payload the checkout builds: the ledger's canonical
        // JSON then takes JSON.stringify's fast path (see canonicalJson).
        payload: {
          codeKey: key!,
          codeTail: codeTail(key!),
          flag: decision.flag,
          override: decision.override,
          part: decision.part
            ? {
                packQuantity: decision.part.packQuantity,
                quantity: decision.part.quantity,
                unit: decision.part.unit,
              }
            : undefined,
          productKey: verdict.product?.key,
          productName: verdict.product?.names,
          productOnly: decision.productOnly ? true : undefined,
          reason: verdict.reason,
          verdict: verdict.verdict,
        },
      });
    });
    return { accepted, refused };
  }

  /** A unit sold by another lane or sale between `prepare` and the commit. */
  private cloneRefusal(
    line: number,
    key: string,
    sold: SoldContext,
    input: SaleInput,
    reason: string,
  ): Refusal {
    return {
      line,
      codeKey: key,
      verdict: 'already_sold',
      reason,
      message: soldMessage(sold),
      overridable: false,
      alert: this.cloneAlert(key, sold, input, undefined),
    };
  }

  private cloneAlert(
    key: string,
    sold: SoldContext,
    input: SaleInput,
    verdict: Verdict | undefined,
  ): AlertPayload {
    return {
      ...this.alert('clone', key, verdict, input),
      verdict: 'already_sold',
      previous: sold,
    };
  }

  /**
   * A unit this store never checked in, met at checkout (receiving.mode warn or enforce): `reason`
   * says why receiving does not know it as stock (`not_received`: on no note here; `expected`: on a
   * note, not checked in; `put_aside`: rejected at the back door); `note` what became of it.
   */
  private diversionAlert(key: string, verdict: Verdict, input: SaleInput, outcome: string): AlertPayload {
    const state = (verdict.code && this.deps.receiving?.stateOf?.(verdict.code)) ?? 'not_received';
    return {
      ...this.alert('diversion', key, verdict, input),
      reason: state,
      note: `${outcome} (receiving.mode ${this.receivingMode})`,
    };
  }

  private alert(
    kind: AlertPayload['kind'],
    key: string,
    verdict: Verdict | undefined,
    input: SaleInput,
  ): AlertPayload {
    return {
      kind,
      codeKey: key,
      verdict: verdict?.verdict,
      reason: verdict?.reason,
      // Scanned against registered values: the evidence an inspector needs (docs/verification.md).
      mismatch: verdict?.mismatch,
      attempt: {
        externalRef: input.externalRef,
        cashier: input.cashier,
        at: this.clock().toISOString(),
        storeId: this.ledger.storeId,
        terminalId: this.ledger.terminalId,
      },
    };
  }

  /** Inside the transaction: keep the alerts, write nothing else. */
  private refuse(refused: Refusal[], writer: SaleWriter, diversions: AlertPayload[] = []): SaleOutcome {
    const alertIds = refused.flatMap((r) => (r.alert ? [writer.append('alert', r.alert).id] : []));
    for (const alert of diversions)
      alertIds.push(
        writer.append('alert', { ...alert, note: `${alert.note}; not sold: other lines were refused` }).id,
      );
    const lines = refused.map(({ alert: _alert, ...line }) => line).sort((a, b) => a.line - b.line);
    return {
      ok: false,
      code: 'lines_refused',
      message: `${lines.length} line(s) cannot be sold; nothing was written off`,
      refused: lines,
      alertIds,
    };
  }

  private printReceipt(sale: SaleView): void {
    const sink = this.deps.receipts;
    if (!sink) return;
    const document = buildSaleReceipt({
      saleId: sale.saleId,
      at: sale.at,
      storeName: this.deps.config?.storeName ?? this.ledger.storeId,
      terminalId: this.ledger.terminalId,
      cashier: sale.cashier,
      lines: sale.lines,
    });
    try {
      const queued = sink.enqueue(document, { saleId: sale.saleId, kind: 'sale' });
      if (queued instanceof Promise) queued.catch((error: unknown) => this.printFailed(sale.saleId, error));
    } catch (error) {
      this.printFailed(sale.saleId, error);
    }
  }

  private printFailed(saleId: string, error: unknown): void {
    // The sale is committed; the receipt can be reprinted from the ledger.
    this.log?.error({ saleId, err: error }, 'receipt could not be queued');
  }
}

/** Largest split pack (the registry's limit). */
const MAX_PACK_QUANTITY = 10_000;

function validateSale(input: SaleInput, maxLines: number): string | undefined {
  if (!Array.isArray(input.lines) || input.lines.length === 0)
    return 'Expected `lines` to hold at least one line';
  if (input.lines.length > maxLines) return `Expected at most ${maxLines} lines, got ${input.lines.length}`;
  for (const [i, line] of input.lines.entries()) {
    if (typeof line.data !== 'string') return `Expected lines[${i}].data to be a string`;
    if (
      line.quantity !== undefined &&
      (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_PACK_QUANTITY)
    ) {
      return `Expected lines[${i}].quantity to be a whole number of parts from 1 to ${MAX_PACK_QUANTITY}, got ${JSON.stringify(line.quantity)}`;
    }
    if (line.override && (!line.override.by || !line.override.reason?.trim())) {
      return `Expected lines[${i}].override to name who approved (by) and why (reason)`;
    }
  }
  if (
    input.externalRef !== undefined &&
    (typeof input.externalRef !== 'string' || input.externalRef.length === 0)
  ) {
    return 'Expected `externalRef` to be a non-empty string';
  }
  return undefined;
}

export function toView(stored: StoredSale): SaleView {
  const p = stored.sale.payload;
  return {
    saleId: stored.sale.id,
    seq: stored.sale.seq,
    at: stored.sale.at,
    ...(p.externalRef !== undefined ? { externalRef: p.externalRef } : {}),
    ...(p.cashier !== undefined ? { cashier: p.cashier } : {}),
    lines: p.lines,
    writeOffs: stored.writeOffs.map((w) => ({ codeKey: w.payload.codeKey, recordId: w.id, seq: w.seq })),
  };
}
