import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import type { LedgerPlan } from '../../../terminal/ledger/ledger-plan.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal } from './checkout-fixture.js';

let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
beforeEach(() => {
  temp = makeTempDir();
  t = openTerminal({ dir: temp.dir });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

type CommitOffThread = (plan: LedgerPlan) => Promise<boolean>;

/** Replaces the ledger's hand-over of a plan to its writer worker for one test; `real` hands over. */
function replaceCommitOffThread(commit: (plan: LedgerPlan, real: CommitOffThread) => Promise<boolean>): void {
  const real = t.ledger.commitPlanOffThread.bind(t.ledger);
  t.ledger.commitPlanOffThread = (plan) => commit(plan, real);
}

describe('SaleBatcher (group commit)', () => {
  it('writes sales submitted together in one transaction; a code in two of them sells once', async () => {
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all([
      batcher.submit({ externalRef: 'a', lines: [{ data: code(1) }, { data: code(2) }] }),
      batcher.submit({ externalRef: 'b', lines: [{ data: code(3) }] }),
      batcher.submit({ externalRef: 'c', lines: [{ data: code(2) }, { data: code(4) }] }),
      batcher.submit({ externalRef: 'd', lines: [] }),
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual([
      'ok',
      'ok',
      'lines_refused',
      'invalid_sale',
    ]);
    expect(outcomes[2]).toMatchObject({
      refused: [{ line: 0, codeKey: code(2), reason: 'sold_concurrently' }],
    });
    const records = t.ledger.records(0, 100);
    expect(records.map((r) => r.type)).toEqual([
      'sale',
      'write_off',
      'write_off',
      'sale',
      'write_off',
      'alert',
    ]);
    // One transaction: the ledger pins one time per transaction.
    expect(new Set(records.map((r) => r.at)).size).toBe(1);
    expect(t.ledger.writeOffOf(code(4))).toBeUndefined();
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 6 });
  });

  it('a sale that fails mid-write rolls back alone; the others commit', async () => {
    const commit = t.checkout.commitPrepared.bind(t.checkout);
    t.checkout.commitPrepared = (prepared, writer) => {
      const outcome = commit(prepared, writer);
      if (prepared.input.externalRef === 'boom') throw new Error('disk hiccup');
      return outcome;
    };
    const batcher = new SaleBatcher(t.checkout);
    const [a, boom, c] = await Promise.allSettled([
      batcher.submit({ externalRef: 'a', lines: [{ data: code(10) }] }),
      batcher.submit({ externalRef: 'boom', lines: [{ data: code(11) }] }),
      batcher.submit({ externalRef: 'c', lines: [{ data: code(12) }] }),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(boom).toMatchObject({ status: 'rejected', reason: new Error('disk hiccup') });
    expect(c.status).toBe('fulfilled');
    expect(t.ledger.saleByExternalRef('boom')).toBeUndefined();
    expect(t.ledger.writeOffOf(code(11))).toBeUndefined();
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 4 });
  });

  it('a retry in the same batch replays the first sale instead of selling twice', async () => {
    const batcher = new SaleBatcher(t.checkout);
    const sale = { externalRef: 'twice', lines: [{ data: code(20) }, { data: code(21) }] };
    const [first, retry] = await Promise.all([batcher.submit(sale), batcher.submit(sale)]);
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(retry).toMatchObject({ ok: true, replayed: true });
    if (!first.ok || !retry.ok) throw new Error('unreachable');
    expect(retry.sale).toEqual(first.sale);
    expect(t.ledger.records(0, 100).map((r) => r.type)).toEqual(['sale', 'write_off', 'write_off']);
  });

  it('redoes the batch under the write lock when another record lands before it is written', async () => {
    let raced = 0;
    replaceCommitOffThread((plan, real) => {
      // Another writer (a kiosk alert, another process) appends between plan and commit.
      if (raced++ === 0) t.ledger.append('alert', { kind: 'suspicious_report', codeKey: code(99) });
      return real(plan);
    });
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all([
      batcher.submit({ externalRef: 'x', lines: [{ data: code(30) }] }),
      batcher.submit({ externalRef: 'y', lines: [{ data: code(31) }] }),
    ]);
    expect(raced).toBe(1);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    const records = t.ledger.records(0, 100);
    expect(records.map((r) => r.type)).toEqual(['alert', 'sale', 'write_off', 'sale', 'write_off']);
    // What the callers were told is what was stored.
    const x = outcomes[0]!;
    if (!x.ok) throw new Error('unreachable');
    expect(x.sale.seq).toBe(2);
    expect(t.ledger.sale(x.sale.saleId)?.sale.seq).toBe(2);
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 5 });
  });

  it('writes a lone sale with nothing in flight on the event loop, without the writer worker', async () => {
    let workerCalls = 0;
    replaceCommitOffThread((plan, real) => {
      workerCalls++;
      return real(plan);
    });
    const batcher = new SaleBatcher(t.checkout);
    const outcome = await batcher.submit({ externalRef: 'alone', lines: [{ data: code(70) }] });
    expect(outcome.ok).toBe(true);
    expect(workerCalls).toBe(0);
    await Promise.all([
      batcher.submit({ externalRef: 'pair-1', lines: [{ data: code(71) }] }),
      batcher.submit({ externalRef: 'pair-2', lines: [{ data: code(72) }] }),
    ]);
    expect(workerCalls).toBe(1);
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 6 });
  });

  it('signs and writes on its own thread when the writer worker has stopped', async () => {
    await batcherWarmUp();
    await (t.ledger as unknown as { writer: { close(): Promise<void> } }).writer.close();
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all([
      batcher.submit({ externalRef: 'p', lines: [{ data: code(40) }] }),
      batcher.submit({ externalRef: 'q', lines: [{ data: code(41) }] }),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 8 });
  });

  /** Two sales together: the writer worker starts (a lone sale does not use it). */
  async function batcherWarmUp(): Promise<void> {
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all([
      batcher.submit({ externalRef: 'warm-1', lines: [{ data: code(80) }] }),
      batcher.submit({ externalRef: 'warm-2', lines: [{ data: code(81) }] }),
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
  }

  describe('pipelined batches (the next is planned while one is being written)', () => {
    /**
     * Holds plans back from the writer until `release` (then hands them over in order, as they
     * came), and says when each batch was planned.
     */
    function holdFromWriter() {
      const held: (() => void)[] = [];
      let calls = 0;
      const waiters = new Map<number, () => void>();
      replaceCommitOffThread((plan, real) => {
        calls++;
        waiters.get(calls)?.();
        return new Promise<boolean>((resolve) => held.push(() => resolve(real(plan))));
      });
      return {
        /** Resolves once the n-th batch has been planned and handed to the writer. */
        planned: (n: number) =>
          calls >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(n, resolve)),
        release: () => {
          for (const r of held.splice(0)) r();
        },
      };
    }

    it('a code in a batch still being written is refused in the next batch', async () => {
      const hold = holdFromWriter();
      const batcher = new SaleBatcher(t.checkout);
      // Two sales: a lone sale with nothing in flight is written on this thread.
      const first = batcher.submit({ externalRef: 'first', lines: [{ data: code(50) }] });
      const filler = batcher.submit({ externalRef: 'filler', lines: [{ data: code(52) }] });
      await hold.planned(1);
      const again = batcher.submit({ externalRef: 'again', lines: [{ data: code(50) }] });
      const other = batcher.submit({ externalRef: 'other', lines: [{ data: code(51) }] });
      await hold.planned(2);
      // Nothing is written while both batches are held back from the writer.
      expect(t.ledger.headSeq()).toBe(0);
      hold.release();
      const outcomes = await Promise.all([first, filler, again, other]);
      expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'lines_refused', 'ok']);
      expect(outcomes[2]).toMatchObject({ refused: [{ codeKey: code(50), reason: 'sold_concurrently' }] });
      expect(t.ledger.records(0, 100).map((r) => r.type)).toEqual([
        'sale',
        'write_off',
        'sale',
        'write_off',
        'alert',
        'sale',
        'write_off',
      ]);
      const c = outcomes[3]!;
      if (!c.ok) throw new Error('unreachable');
      expect(t.ledger.sale(c.sale.saleId)?.sale.seq).toBe(c.sale.seq);
      expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 7 });
    });

    it('when the first batch must be redone, the one planned after it is redone too', async () => {
      const hold = holdFromWriter();
      const batcher = new SaleBatcher(t.checkout);
      const first = batcher.submit({ externalRef: 'one', lines: [{ data: code(60) }] });
      const filler = batcher.submit({ externalRef: 'filler', lines: [{ data: code(62) }] });
      await hold.planned(1);
      const second = batcher.submit({ externalRef: 'two', lines: [{ data: code(61) }] });
      await hold.planned(2);
      // Another writer moves the head under both plans.
      t.ledger.append('alert', { kind: 'suspicious_report', codeKey: code(98) });
      hold.release();
      const outcomes = await Promise.all([first, filler, second]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
      expect(t.ledger.records(0, 100).map((r) => r.type)).toEqual([
        'alert',
        'sale',
        'write_off',
        'sale',
        'write_off',
        'sale',
        'write_off',
      ]);
      for (const o of outcomes) {
        if (!o.ok) throw new Error('unreachable');
        expect(t.ledger.saleByExternalRef(o.sale.externalRef!)?.sale.seq).toBe(o.sale.seq);
      }
      expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 7 });
    });
  });
});
