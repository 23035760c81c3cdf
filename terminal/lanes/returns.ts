import type { Ledger } from '../ledger/ledger.js';
import type { ReturnLinePayload, ReturnPayload } from '../ledger/payloads.js';
import type { LedgerRecord } from '../ledger/types.js';
import type { Verdict } from '../verify/types.js';
import type {
  CheckoutDeps,
  RefusedReturnLine,
  ReturnInput,
  ReturnOutcome,
  ReturnView,
} from './checkout-types.js';

const DAY_MS = 86_400_000;
/** Registry statuses that a return can never undo (DOMAIN.md: terminal or authority states). */
const FINAL_STATUS = new Set(['recalled', 'withdrawn', 'stolen', 'destroyed', 'locked']);

/**
 * Returns re-activate written-off codes (DOMAIN.md, after FMD Art. 13): only within the window
 * (default 10 days) of the write-off, only at the store that sold it, only with a manager's
 * approval, never for recalled, withdrawn, stolen, destroyed, locked or expired units, never for
 * a product-only code (nothing was written off for it). A return is its own signed record; the
 * write-off record stays. A split pack's code takes back its newest part sold here (the line that
 * sold the last part brings its write-off back with it), by the same rules.
 */
export class ReturnsService {
  private readonly ledger: Ledger;
  private readonly clock: () => Date;
  private readonly day: Intl.DateTimeFormat;

  constructor(private readonly deps: CheckoutDeps) {
    this.ledger = deps.ledger;
    this.clock = deps.clock ?? (() => new Date());
    // en-CA formats as YYYY-MM-DD, comparable as text with registry expiry dates.
    this.day = new Intl.DateTimeFormat('en-CA', {
      timeZone: deps.config?.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  processReturn(input: ReturnInput): ReturnOutcome {
    if (typeof input.approvedBy !== 'string' || input.approvedBy.trim() === '') {
      return {
        ok: false,
        code: 'approval_required',
        message: 'A return needs a manager approval (approvedBy)',
      };
    }
    if (
      !Array.isArray(input.lines) ||
      input.lines.length === 0 ||
      input.lines.some((l) => typeof l?.data !== 'string')
    ) {
      return {
        ok: false,
        code: 'invalid_return',
        message: 'Expected `lines` to hold at least one { data: string }',
      };
    }
    return this.ledger.transaction((): ReturnOutcome => {
      // Checked under the write lock so a concurrent sale or return cannot slip between check and write.
      const replay = this.replay(input);
      if (replay) return replay;
      const lines: ReturnLinePayload[] = [];
      const refused: RefusedReturnLine[] = [];
      const seen = new Set<string>();
      input.lines.forEach((line, index) => {
        const verdict = this.deps.verifier.verify(line.data, { source: 'return', record: false });
        const result = this.judge(verdict, input, seen);
        if ('reason' in result)
          refused.push({ line: index, ...(verdict.code ? { codeKey: verdict.code.key } : {}), ...result });
        else lines.push(result);
      });
      if (refused.length > 0) {
        return {
          ok: false,
          code: 'lines_refused',
          message: `${refused.length} line(s) cannot be returned; nothing changed`,
          refused,
        };
      }
      const record = this.ledger.append<ReturnPayload>('return', {
        externalRef: input.externalRef,
        approvedBy: input.approvedBy,
        reason: input.reason,
        lines,
      });
      return { ok: true, replayed: false, return: toReturnView(record) };
    });
  }

  private replay(input: ReturnInput): ReturnOutcome | undefined {
    if (input.externalRef === undefined) return undefined;
    const record = this.ledger.returnByExternalRef(input.externalRef);
    if (!record) return undefined;
    const stored = record.payload.lines
      .map((l) => l.codeKey)
      .sort()
      .join('\n');
    const asked = input.lines
      .map((l) => this.deps.verifier.keyOf(l.data) ?? '')
      .sort()
      .join('\n');
    if (stored !== asked) {
      return {
        ok: false,
        code: 'idempotency_conflict',
        message: `externalRef '${input.externalRef}' was already used for return ${record.id} with other lines`,
      };
    }
    return { ok: true, replayed: true, return: toReturnView(record) };
  }

  private judge(
    verdict: Verdict,
    input: ReturnInput,
    seen: Set<string>,
  ): ReturnLinePayload | Omit<RefusedReturnLine, 'line' | 'codeKey'> {
    const key = verdict.code?.key;
    if (!key) return { reason: 'malformed', message: `Cannot read this code (${verdict.reason})` };
    if (verdict.code?.kind === 'gtin') {
      // Checkout never writes off a product-only code (line-decision.ts): there is no unit to re-activate.
      return {
        reason: 'product_only',
        message:
          'A product-only barcode (EAN/GTIN without a serial) names a product, not a pack: it was never written off, so it cannot be returned by its code',
      };
    }
    if (seen.has(key))
      return { reason: 'duplicate_line', message: 'The same unit appears twice in this return' };
    seen.add(key);
    const writeOff = this.ledger.writeOffOf(key);
    // Split packs (拆零): the newest part sold here and not returned; with the write-off it is the
    // line that sold the last part, without it a part of a pack still open (split-parts.ts).
    const newestPart = verdict.product?.split ? this.ledger.soldPartsOf(key)[0] : undefined;
    const part = newestPart && (!writeOff || newestPart.saleId === writeOff.saleId) ? newestPart : undefined;
    const sold = writeOff ?? part;
    if (!sold) {
      if (verdict.sold?.where === 'upstream' && verdict.sold.storeId !== this.ledger.storeId) {
        return {
          reason: 'other_store',
          message: `Sold at store ${verdict.sold.storeId}; returns are taken only where the unit was sold`,
        };
      }
      return {
        reason: 'not_sold_here',
        message: 'This unit has no active write-off here (never sold, or already returned)',
      };
    }
    if (sold.storeId !== this.ledger.storeId) {
      return {
        reason: 'other_store',
        message: `Sold at store ${sold.storeId}; returns are taken only where the unit was sold`,
      };
    }
    if (input.saleId !== undefined && sold.saleId !== input.saleId) {
      return {
        reason: 'not_in_sale',
        message: `This unit was sold in sale ${sold.saleId}, not ${input.saleId}`,
      };
    }
    const windowDays = this.deps.config?.returnWindowDays ?? 10;
    if (this.clock().getTime() - Date.parse(sold.at) > windowDays * DAY_MS) {
      return { reason: 'window_passed', message: `Sold on ${sold.at}: more than ${windowDays} days ago` };
    }
    const status = verdict.unit?.status;
    if (status && FINAL_STATUS.has(status)) {
      return {
        reason: status as RefusedReturnLine['reason'],
        message: `The registry marks this unit ${status}`,
      };
    }
    if (verdict.batch?.recalled)
      return { reason: 'recalled', message: `Batch ${verdict.batch.number} is recalled` };
    if (verdict.product?.withdrawn) return { reason: 'withdrawn', message: 'The product is withdrawn' };
    const expiry = verdict.batch?.expiryDate ?? verdict.code?.expiry;
    if (expiry && expiry < this.day.format(this.clock())) {
      return { reason: 'expired', message: `Expired on ${expiry}` };
    }
    return {
      codeKey: key,
      saleId: sold.saleId,
      ...(writeOff ? { writeOffId: writeOff.writeOffId, writeOffSeq: writeOff.writeOffSeq } : {}),
      ...(part ? { part: { saleSeq: part.saleSeq, line: part.line, quantity: part.quantity } } : {}),
    };
  }
}

function toReturnView(record: LedgerRecord<ReturnPayload>): ReturnView {
  const p = record.payload;
  return {
    returnId: record.id,
    seq: record.seq,
    at: record.at,
    ...(p.externalRef !== undefined ? { externalRef: p.externalRef } : {}),
    approvedBy: p.approvedBy,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    lines: p.lines,
  };
}
