/**
 * Runs store-day operations against the stack and the reference model side by side. After every
 * step it compares, at the store(s) the step affected, every code's kiosk verdict (over the kiosk
 * page's WebSocket) and checkout sellability (POST /api/v1/checkout/check) with what the model
 * allows; after restarts and settles also each terminal's whole ledger; at the end upstream's copy.
 * The first difference throws a `Divergence` naming the step, what was expected and what came.
 */

import { verifyChain } from '../../../terminal/ledger/verify-chain.js';
import { checkUpstream, Divergence, describeRecord, ok, same } from './checks.js';
import {
  code,
  type Expected,
  type SaleOutcome,
  STORES,
  type StoreDayModel,
  type StoreId,
  sellabilityOf,
} from './model.js';
import type { Op } from './ops.js';
import { CODES, type CodeSpec } from './registry-fixture.js';
import type { StoreDayStack } from './stack.js';
import { PINS, type TerminalProcess } from './terminal-process.js';

export interface RunnerOptions {
  /** Check every code's sellability after every step (else every settle/restart, the op's codes and a rotating eighth). */
  fullCheckSweeps?: boolean;
  /** Codes left out of the sweeps (local diagnosis of a known defect only). */
  skipCodes?: ReadonlySet<string>;
}

/** What a run did, for the closing report. */
export interface RunStats {
  steps: number;
  outcomes: Record<string, number>;
  kioskComparisons: number;
  checkComparisons: number;
  /** Wall time per op kind: the op itself, and the comparisons after it. */
  ms: Record<string, { op: number; sweep: number }>;
}

const scansOf = (spec: CodeSpec) => [spec.scan, ...spec.alt];

export class StoreDayRunner {
  readonly stats: RunStats = { steps: 0, outcomes: {}, kioskComparisons: 0, checkComparisons: 0, ms: {} };
  /** Sale ids the terminals gave, by the sale's externalRef. */
  private readonly saleIds = new Map<string, string>();
  private rotation = 0;
  private readonly codes: CodeSpec[];

  constructor(
    private readonly stack: StoreDayStack,
    private readonly model: StoreDayModel,
    private readonly options: RunnerOptions = {},
  ) {
    this.codes = CODES.filter((c) => !options.skipCodes?.has(c.name));
  }

  private terminal(store: StoreId): TerminalProcess {
    return this.stack.store(store).terminal;
  }

  async step(op: Op): Promise<void> {
    this.stats.steps++;
    const began = performance.now();
    const outcome = await this.execute(op);
    const executed = performance.now();
    this.count(`${op.kind}${outcome ? `:${outcome}` : ''}`);
    const stores = 'store' in op && op.kind !== 'link' ? [op.store] : [...STORES];
    const full =
      op.kind === 'settle' ||
      op.kind === 'registry' ||
      op.kind === 'restart' ||
      op.kind === 'killSale' ||
      op.kind === 'killReturn';
    const involved = new Set<string>(
      op.kind === 'sale' || op.kind === 'killSale'
        ? op.lines.map((l) => l.code)
        : op.kind === 'return' || op.kind === 'killReturn'
          ? op.codes
          : op.kind === 'check'
            ? [op.code]
            : [],
    );
    for (const store of stores) await this.sweep(store, full, involved);
    if (op.kind === 'settle') for (const store of STORES) this.compareLedger(store);
    const time = this.stats.ms[op.kind] ?? { op: 0, sweep: 0 };
    this.stats.ms[op.kind] = time;
    time.op += Math.round(executed - began);
    time.sweep += Math.round(performance.now() - executed);
  }

  /** Runs one op on the stack and the model; returns a short outcome label for the stats. */
  private async execute(op: Op): Promise<string | undefined> {
    const m = this.model;
    switch (op.kind) {
      case 'check': {
        const spec = code(op.code);
        const answer = await this.terminal(op.store).verify(scansOf(spec)[op.scan]!);
        const data = ok(answer, `kiosk POST /api/v1/verify of ${op.code} at ${op.store}`);
        this.compareVerdict(
          `kiosk verdict of ${op.code} (scan form ${op.scan}) at ${op.store}`,
          m.possible(op.store, op.code),
          data,
        );
        return data.verdict;
      }
      case 'sale':
        return this.sale(op);
      case 'killSale':
        return this.killSale(op);
      case 'killReturn':
        return this.killReturn(op);
      case 'return':
        return this.returnOp(op);
      case 'clock':
        await this.terminal(op.store).advanceClock(op.days);
        m.advanceClock(op.store, op.days);
        return undefined;
      case 'link':
        this.stack.setLink(op.store, op.up);
        m.setLink(op.store, op.up);
        return op.up ? 'up' : 'down';
      case 'restart': {
        const t = this.terminal(op.store);
        await t.kill();
        await t.start();
        m.restarted(op.store);
        this.compareLedger(op.store);
        return undefined;
      }
      case 'registry': {
        // Published from a quiet upstream (settled), then links that were down go down again.
        const down = STORES.filter((s) => !m.link[s]);
        await this.stack.settle();
        for (const s of down) this.stack.setLink(s, false);
        await this.stack.publish(op.change);
        m.publishSettled(op.change);
        return op.change.kind;
      }
      case 'settle':
        await this.stack.settle();
        m.settle();
        return undefined;
    }
  }

  private saleBody(op: Extract<Op, { kind: 'sale' | 'killSale' }>) {
    return {
      externalRef: op.ref,
      lines: op.lines.map((l) => ({
        data: scansOf(code(l.code))[l.scan]!,
        ...(l.override
          ? {
              override: {
                reason: 'pack without DataMatrix',
                approval: { user: 'm1', pin: l.override === 'ok' ? PINS.manager : PINS.wrong },
              },
            }
          : {}),
      })),
    };
  }

  private async sale(op: Extract<Op, { kind: 'sale' }>): Promise<string> {
    const expected = this.model.sale(op.store, op.ref, op.lines);
    const answer = await this.terminal(op.store).sale(this.saleBody(op));
    this.compareSale(`sale ${op.ref} at ${op.store}`, op.ref, expected, answer);
    return expected.ok ? 'ok' : expected.code;
  }

  /** The sale's request is cut by SIGKILL; after the restart the lane retries it with the same externalRef. */
  private async killSale(op: Extract<Op, { kind: 'killSale' }>): Promise<string> {
    const expected = this.model.sale(op.store, op.ref, op.lines);
    if (!expected.ok) throw new Error(`killSale ${op.ref}: the generator must pick a sellable basket`);
    const t = this.terminal(op.store);
    const body = this.saleBody(op);
    const first = t.sale(body).then(
      (a) => (a.status === 201 ? 'answered' : `answered ${a.status}`),
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, op.delayMs));
    await t.kill();
    const firstOutcome = await first;
    await t.start();
    this.model.restarted(op.store);
    const retry = await t.sale(body);
    this.compareSale(
      `sale ${op.ref} at ${op.store} retried after SIGKILL (first request: ${firstOutcome})`,
      op.ref,
      expected,
      retry,
    );
    this.compareLedger(op.store);
    return `${firstOutcome}+${retry.body.status === 'ok' && retry.body.data.replayed ? 'replayed' : 'new'}`;
  }

  /** The return's request is cut by SIGKILL; after the restart the lane retries it with the same externalRef. */
  private async killReturn(op: Extract<Op, { kind: 'killReturn' }>): Promise<string> {
    this.model.restarted(op.store);
    const expected = this.model.return(op.store, op.codes, 'ok');
    if (!expected.ok) throw new Error(`killReturn ${op.ref}: the generator must pick returnable units`);
    const t = this.terminal(op.store);
    const body = {
      externalRef: op.ref,
      lines: op.codes.map((c) => ({ data: code(c).scan })),
      approval: { user: 'm1', pin: PINS.manager },
    };
    const first = t.returnUnits(body).then(
      (a) => (a.status === 201 ? 'answered' : `answered ${a.status}`),
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, op.delayMs));
    await t.kill();
    const firstOutcome = await first;
    await t.start();
    const retry = await t.returnUnits(body);
    const what = `return ${op.ref} at ${op.store} retried after SIGKILL (first request: ${firstOutcome})`;
    const data = ok(retry, what);
    same(
      what,
      expected.keys,
      data.lines.map((l) => l.codeKey),
    );
    this.compareLedger(op.store);
    return `${firstOutcome}+${data.replayed ? 'replayed' : 'new'}`;
  }

  private async returnOp(op: Extract<Op, { kind: 'return' }>): Promise<string> {
    // The sale the receipt names, taken before the model moves on.
    let saleId: string | undefined;
    if (op.saleOf !== undefined) {
      const ref = this.model.sold.get(op.saleOf)?.saleRef;
      saleId = (ref && this.saleIds.get(ref)) ?? 'no-such-sale';
    }
    const expected = this.model.return(op.store, op.codes, op.approval, op.saleOf);
    const answer = await this.terminal(op.store).returnUnits({
      externalRef: op.ref,
      ...(saleId ? { saleId } : {}),
      lines: op.codes.map((c) => ({ data: code(c).scan })),
      approval: { user: 'm1', pin: op.approval === 'ok' ? PINS.manager : PINS.wrong },
    });
    const what = `return ${op.ref} of ${op.codes.join(', ')} at ${op.store}`;
    if (expected.ok) {
      const data = ok(answer, what);
      same(
        what,
        expected.keys,
        data.lines.map((l) => l.codeKey),
      );
      return 'ok';
    }
    const actual = answer.body.status === 'error' ? answer.body.error : answer.body.data;
    const refused = (actual as { refused?: { line: number; reason: string }[] }).refused;
    same(what, expected, {
      ok: false,
      status: answer.status,
      code: (actual as { code?: string }).code,
      ...(refused ? { refused: refused.map((r) => ({ line: r.line, reason: r.reason })) } : {}),
    });
    return expected.code === 'lines_refused'
      ? [...new Set(expected.refused.map((r) => r.reason))].join('+')
      : expected.code;
  }

  private compareSale(
    what: string,
    ref: string,
    expected: SaleOutcome,
    answer: Awaited<ReturnType<TerminalProcess['sale']>>,
  ): void {
    if (expected.ok) {
      const data = ok(answer, what);
      same(
        `${what}: write-offs`,
        expected.writeOffs,
        data.writeOffs.map((w) => w.codeKey),
      );
      this.saleIds.set(ref, data.saleId);
      return;
    }
    const actual = answer.body.status === 'error' ? answer.body.error : answer.body.data;
    const refused = (actual as { refused?: { line: number; verdict: string; reason: string }[] }).refused;
    same(what, expected, {
      ok: false,
      status: answer.status,
      code: (actual as { code?: string }).code,
      ...(refused
        ? { refused: refused.map((r) => ({ line: r.line, verdict: r.verdict, reason: r.reason })) }
        : {}),
    });
  }

  /**
   * Every code's kiosk verdict at `store`, and checkout sellability of every code (`full`, or the
   * option) or of the step's own codes plus a rotating eighth of the rest.
   */
  private async sweep(store: StoreId, full: boolean, involved: ReadonlySet<string>): Promise<void> {
    const t = this.terminal(store);
    const verdicts = await t.kioskScans(this.codes.map((c) => c.scan));
    this.codes.forEach((spec, i) => {
      this.compareVerdict(
        `kiosk verdict of ${spec.name} at ${store}`,
        this.model.possible(store, spec.name),
        verdicts[i]!,
      );
      this.stats.kioskComparisons++;
    });
    const slice = this.rotation++ % 8;
    const checked = this.codes.filter(
      (spec, i) => full || this.options.fullCheckSweeps || involved.has(spec.name) || i % 8 === slice,
    );
    const answers = await Promise.all(checked.map((spec) => t.check(spec.scan)));
    checked.forEach((spec, i) => {
      const data = ok(answers[i]!, `POST /api/v1/checkout/check of ${spec.name} at ${store}`);
      const possible = this.model.possible(store, spec.name).map((e) => ({ ...e, ...sellabilityOf(e) }));
      const actual = {
        verdict: data.verdict,
        reason: data.reason,
        sellable: data.sellable,
        overridable: data.overridable,
      };
      if (
        !possible.some(
          (e) =>
            e.verdict === actual.verdict &&
            e.reason === actual.reason &&
            e.sellable === actual.sellable &&
            e.overridable === actual.overridable,
        )
      ) {
        throw new Divergence(
          `checkout check of ${spec.name} at ${store}`,
          possible.map(({ soldAt: _s, ...e }) => e),
          actual,
        );
      }
      this.stats.checkComparisons++;
    });
  }

  private compareVerdict(
    what: string,
    possible: Expected[],
    actual: { verdict: string; reason: string; sold?: { storeId: string } },
  ): void {
    const got = {
      verdict: actual.verdict,
      reason: actual.reason,
      ...(actual.verdict === 'already_sold' ? { soldAt: actual.sold?.storeId } : {}),
    };
    if (
      !possible.some((e) => e.verdict === got.verdict && e.reason === got.reason && e.soldAt === got.soldAt)
    ) {
      throw new Divergence(what, possible.length === 1 ? possible[0] : { anyOf: possible }, got);
    }
  }

  /** The terminal's ledger, record by record, against the model's; and its chain verifies. */
  compareLedger(store: StoreId): void {
    const t = this.terminal(store);
    const records = t.records();
    same(`ledger of ${store} (one line per record)`, this.model.ledger[store], records.map(describeRecord));
    const chain = verifyChain(records, t.publicKeyPem);
    if (!chain.ok) throw new Divergence(`ledger chain of ${store}`, { ok: true }, chain);
  }

  /** End of the day: settle, then every ledger against the model and upstream (checks.ts). */
  async finish(): Promise<void> {
    await this.stack.settle();
    this.model.settle();
    for (const store of STORES) this.compareLedger(store);
    checkUpstream(this.stack, this.model);
  }

  private count(key: string): void {
    this.stats.outcomes[key] = (this.stats.outcomes[key] ?? 0) + 1;
  }
}
