import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateTerminalKey, type TerminalIdentity } from '../../../terminal/identity/index.js';
import { Ledger } from '../../../terminal/ledger/index.js';
import type { LedgerPlan } from '../../../terminal/ledger/ledger-plan.js';
import { saleLine } from '../../helpers/ledger-payloads.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let identity: TerminalIdentity;
let ledger: Ledger;

beforeEach(() => {
  temp = makeTempDir();
  identity = loadOrCreateTerminalKey(join(temp.dir, 'identity', 'key.pem'));
  ledger = Ledger.open({ file: join(temp.dir, 'ledger.db'), identity, storeId: 's1', terminalId: 't1' });
});
afterEach(() => {
  ledger.close();
  temp.cleanup();
});

/** The plan's signatures, made on this thread (as `commitPlan` takes them). */
function signed(plan: LedgerPlan): Buffer[] {
  return plan.digests.map((digest) => identity.sign(digest));
}

describe('Ledger plans (group commit signed off the event loop)', () => {
  it('writes planned records, signed, exactly as appends would chain them', async () => {
    ledger.append('alert', { kind: 'clone', codeKey: 'before' });
    const plan = ledger.plan();
    const sale = plan.append('sale', { externalRef: 'r1', lines: [saleLine('L')] });
    plan.append('write_off', { codeKey: 'A', saleId: sale.id, line: 0 });
    expect(sale).toMatchObject({ seq: 2, signature: '' });
    // Nothing is written before commitPlan.
    expect(ledger.headSeq()).toBe(1);
    expect(ledger.commitPlan(plan, signed(plan))).toBe(true);
    expect(ledger.records(0, 10).map((r) => [r.seq, r.type])).toEqual([
      [1, 'alert'],
      [2, 'sale'],
      [3, 'write_off'],
    ]);
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 3 });
    expect(ledger.writeOffOf('A')).toMatchObject({ saleId: sale.id, writeOffSeq: 3 });
    expect(ledger.saleByExternalRef('r1')?.writeOffs).toHaveLength(1);
    expect(ledger.pending(0, 10)).toHaveLength(3);
    // The plan's records carry their signatures once committed.
    expect(sale.signature).toBe(ledger.record(sale.id)?.signature);
  });

  it('reads its own sales and write-offs together with committed ones', () => {
    const committed = ledger.transaction(() => {
      const s = ledger.append('sale', { externalRef: 'old', lines: [saleLine('L')] });
      ledger.append('write_off', { codeKey: 'OLD', saleId: s.id, line: 0 });
      return s;
    });
    const plan = ledger.plan();
    const sale = plan.append('sale', { externalRef: 'new', lines: [saleLine('L')] });
    plan.append('write_off', { codeKey: 'NEW', saleId: sale.id, line: 0 });
    expect([...plan.writeOffsOf(['OLD', 'NEW', 'NONE']).keys()].sort()).toEqual(['NEW', 'OLD']);
    expect(plan.saleByExternalRef('new')).toMatchObject({ sale: { id: sale.id }, writeOffs: [{ seq: 4 }] });
    expect(plan.saleByExternalRef('old')?.sale.id).toBe(committed.id);
    expect(plan.saleByExternalRef('none')).toBeUndefined();
  });

  it('drops every append of a step that throws, and chains the next step from before it', async () => {
    const plan = ledger.plan();
    plan.append('sale', { externalRef: 'kept', lines: [saleLine('L')] });
    expect(() =>
      plan.transaction(() => {
        const s = plan.append('sale', { externalRef: 'dropped', lines: [saleLine('L')] });
        plan.append('write_off', { codeKey: 'X', saleId: s.id, line: 0 });
        throw new Error('refused half-way');
      }),
    ).toThrow('refused half-way');
    expect(plan.saleByExternalRef('dropped')).toBeUndefined();
    expect(plan.writeOffsOf(['X']).size).toBe(0);
    const next = plan.append('alert', { kind: 'clone', codeKey: 'Y' });
    expect(next.seq).toBe(2);
    expect(ledger.commitPlan(plan, signed(plan))).toBe(true);
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2 });
  });

  it('writes nothing and says so when the head moved after planning', async () => {
    const plan = ledger.plan();
    plan.append('sale', { externalRef: 'late', lines: [saleLine('L')] });
    ledger.append('alert', { kind: 'clone', codeKey: 'meanwhile' });
    expect(ledger.commitPlan(plan, signed(plan))).toBe(false);
    expect(ledger.saleByExternalRef('late')).toBeUndefined();
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 1 });
  });

  it('refuses a wrong number of signatures and record types that change earlier records', async () => {
    const plan = ledger.plan();
    plan.append('sale', { lines: [saleLine('L')] });
    expect(() => ledger.commitPlan(plan, [])).toThrow('Expected 1 signatures for the plan, got 0');
    expect(() => plan.append('return', { lines: [] })).toThrow(/cannot hold 'return' records/);
    expect(ledger.headSeq()).toBe(0);
  });

  describe('written by the writer worker (its own connection)', () => {
    it('commits durably and the ledger reads it at once', async () => {
      const plan = ledger.plan();
      const sale = plan.append('sale', { externalRef: 'w1', lines: [saleLine('L')] });
      plan.append('write_off', { codeKey: 'W', saleId: sale.id, line: 0 });
      expect(await ledger.commitPlanOffThread(plan)).toBe(true);
      expect(plan.settled).toBe(true);
      // The worker signed each record (Ed25519 is deterministic: what this thread would sign), and
      // the plan's records carry the signatures it wrote.
      expect(sale.signature).toBe(identity.sign(plan.digests[0]!).toString('base64'));
      expect(ledger.record(sale.id)?.signature).toBe(sale.signature);
      expect(ledger.writeOffOf('W')).toMatchObject({ saleId: sale.id });
      expect(ledger.pending(0, 10).map((r) => r.seq)).toEqual([1, 2]);
      expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2 });
      // A reopened ledger (a restart) has the same chain.
      ledger.close();
      ledger = Ledger.open({ file: join(temp.dir, 'ledger.db'), identity, storeId: 's1', terminalId: 't1' });
      expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2 });
    });

    it('writes nothing when the head moved, and a plan that follows one in flight commits after it', async () => {
      const first = ledger.plan();
      first.append('sale', { externalRef: 'f', lines: [saleLine('L')] });
      const second = ledger.plan(first);
      second.append('sale', { externalRef: 's', lines: [saleLine('L')] });
      expect(second.base).toEqual(first.tail);
      // Sent in order, as the batcher does: the worker runs them in order.
      const [a, b] = await Promise.all([
        ledger.commitPlanOffThread(first),
        ledger.commitPlanOffThread(second),
      ]);
      expect([a, b]).toEqual([true, true]);
      const stale = ledger.plan();
      stale.append('alert', { kind: 'clone', codeKey: 'late' });
      ledger.append('alert', { kind: 'clone', codeKey: 'meanwhile' });
      expect(await ledger.commitPlanOffThread(stale)).toBe(false);
      expect(ledger.records(0, 10).map((r) => r.payload.externalRef ?? r.payload.codeKey)).toEqual([
        'f',
        's',
        'meanwhile',
      ]);
    });

    it('batches queued together share a commit, yet each succeeds or fails on its own', async () => {
      const sold = ledger.transaction(() => {
        const sale = ledger.append('sale', { lines: [saleLine('L')] });
        ledger.append('write_off', { codeKey: 'TAKEN', saleId: sale.id, line: 0 });
        return sale;
      });
      const good = ledger.plan();
      good.append('alert', { kind: 'clone', codeKey: 'good' });
      const bad = ledger.plan(good);
      bad.append('write_off', { codeKey: 'TAKEN', saleId: sold.id, line: 0 });
      const after = ledger.plan(bad);
      after.append('alert', { kind: 'clone', codeKey: 'after the bad one' });
      // Sent in one turn: the writer takes all three in one transaction.
      const outcomes = await Promise.allSettled([
        ledger.commitPlanOffThread(good),
        ledger.commitPlanOffThread(bad),
        ledger.commitPlanOffThread(after),
      ]);
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: true });
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'ledger_write_failed' } });
      // It followed the failed one, so the head is not where it was planned: nothing written.
      expect(outcomes[2]).toEqual({ status: 'fulfilled', value: false });
      expect(ledger.records(0, 10).map((r) => r.payload.codeKey)).toEqual([undefined, 'TAKEN', 'good']);
      expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 3 });
    });

    it('signs and commits on this thread once the worker has stopped', async () => {
      const first = ledger.plan();
      first.append('alert', { kind: 'clone', codeKey: 'through the worker' });
      expect(await ledger.commitPlanOffThread(first)).toBe(true);
      // The worker exits (a crash of the thread): the next plans are written here, same answers.
      await (ledger as unknown as { writer: { close(): Promise<void> } }).writer.close();
      const second = ledger.plan();
      const alert = second.append('alert', { kind: 'clone', codeKey: 'on this thread' });
      const stale = ledger.plan();
      stale.append('alert', { kind: 'clone', codeKey: 'stale' });
      expect(await ledger.commitPlanOffThread(second)).toBe(true);
      expect(await ledger.commitPlanOffThread(stale)).toBe(false);
      expect(ledger.record(alert.id)?.signature).toBe(alert.signature);
      expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2 });
    });

    it('a failed transaction writes nothing and names the cause', async () => {
      const sold = ledger.transaction(() => {
        const sale = ledger.append('sale', { lines: [saleLine('L')] });
        ledger.append('write_off', { codeKey: 'TAKEN', saleId: sale.id, line: 0 });
        return sale;
      });
      // A plan that skips the sale checks and writes off an active code: the unique index refuses.
      const plan = ledger.plan();
      plan.append('alert', { kind: 'clone', codeKey: 'first row is fine' });
      plan.append('write_off', { codeKey: 'TAKEN', saleId: sold.id, line: 0 });
      await expect(ledger.commitPlanOffThread(plan)).rejects.toMatchObject({
        code: 'ledger_write_failed',
        message: expect.stringContaining('UNIQUE constraint failed: ledger_write_offs.code_key'),
      });
      expect(ledger.headSeq()).toBe(2);
      expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2 });
    });
  });
});
