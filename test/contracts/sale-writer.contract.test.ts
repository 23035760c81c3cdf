import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateTerminalKey, type TerminalIdentity } from '../../terminal/identity/index.js';
import { Ledger } from '../../terminal/ledger/index.js';
import type { LedgerPlan } from '../../terminal/ledger/ledger-plan.js';
import type { SalePayload, WriteOffPayload } from '../../terminal/ledger/payloads.js';
import type { SaleWriter } from '../../terminal/ledger/types.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * One contract for every `SaleWriter` (terminal/ledger/types.ts): what a sale's commit step may
 * rely on, whichever writer it is handed. The checkout writes through the Ledger inside its
 * transaction (one lane), or through a LedgerPlan whose records are signed and committed off the
 * event loop (group commit), possibly following a plan still in flight. The three must answer the
 * same reads and leave the same committed state; this suite runs the same steps against each,
 * the way MQTT.js runs `abstract_store` against every store.
 */
interface Subject {
  /** The writer under test, with committed history already in the ledger. */
  writer: SaleWriter;
  /** Makes what the writer appended durable (a plan's commit; nothing for the ledger itself). */
  commit(): void;
  /** Runs the steps where the checkout runs them with this writer (the ledger: its transaction). */
  enter?<T>(fn: () => T): T;
}

/** Numbers the in-flight plans' filler sales (refs and keys are unique in a ledger). */
let inFlight = 0;

type SubjectFactory = (ledger: Ledger, sign: (plan: LedgerPlan) => Buffer[]) => Subject;

const IMPLEMENTATIONS: [string, SubjectFactory][] = [
  [
    'Ledger inside its transaction',
    (ledger) => ({
      writer: ledger,
      // The ledger's appends are durable when its transaction commits (see `enter`).
      commit: () => undefined,
      enter: <T>(fn: () => T): T => ledger.transaction(fn),
    }),
  ],
  [
    'LedgerPlan (group commit)',
    (ledger, sign) => {
      const plan = ledger.plan();
      return {
        writer: plan,
        commit: () => {
          expect(ledger.commitPlan(plan, sign(plan))).toBe(true);
        },
      };
    },
  ],
  [
    'LedgerPlan following a plan still in flight',
    (ledger, sign) => {
      // The first plan holds one unrelated sale and is not committed until after the second plan
      // has been written: the second must read through it, then commit behind it.
      const first = ledger.plan();
      const n = ++inFlight;
      const filler = first.append<SalePayload>('sale', { externalRef: `in-flight-${n}`, lines: [] });
      first.append<WriteOffPayload>('write_off', { codeKey: `IN-FLIGHT-${n}`, saleId: filler.id, line: 0 });
      const second = ledger.plan(first);
      return {
        writer: second,
        commit: () => {
          expect(ledger.commitPlan(first, sign(first))).toBe(true);
          expect(ledger.commitPlan(second, sign(second))).toBe(true);
        },
      };
    },
  ],
];

/** Runs `fn` the way the checkout does with this writer (inside the ledger transaction for the ledger). */
function within<T>(subject: Subject, fn: () => T): T {
  return subject.enter ? subject.enter(fn) : fn();
}

/** A sale with one write-off per key, as CheckoutService.commitPrepared writes it. */
function sell(writer: SaleWriter, ref: string, keys: readonly string[]) {
  const sale = writer.append<SalePayload>('sale', {
    externalRef: ref,
    lines: keys.map((codeKey) => ({
      codeKey,
      codeTail: codeKey.slice(-4),
      reason: 'active',
      verdict: 'genuine',
    })),
  });
  keys.forEach((codeKey, line) => {
    writer.append<WriteOffPayload>('write_off', { codeKey, line, saleId: sale.id });
  });
  return sale;
}

let temp: ReturnType<typeof makeTempDir>;
let identity: TerminalIdentity;
let ledger: Ledger;
const sign = (plan: LedgerPlan) => plan.digests.map((digest) => identity.sign(digest));

beforeEach(() => {
  temp = makeTempDir();
  identity = loadOrCreateTerminalKey(join(temp.dir, 'identity', 'key.pem'));
  ledger = Ledger.open({ file: join(temp.dir, 'ledger.db'), identity, storeId: 's1', terminalId: 't1' });
  // Committed history every writer must see: a sale of OLD-1 and OLD-2, then OLD-2 returned.
  const old = ledger.transaction(() => sell(ledger, 'old', ['OLD-1', 'OLD-2']));
  const stored = ledger.saleByExternalRef('old')!;
  const w2 = stored.writeOffs.find((w) => w.payload.codeKey === 'OLD-2')!;
  ledger.append('return', {
    approvedBy: 'manager',
    lines: [{ codeKey: 'OLD-2', saleId: old.id, writeOffId: w2.id, writeOffSeq: w2.seq }],
  });
});
afterEach(() => {
  ledger.close();
  temp.cleanup();
});

describe.each(IMPLEMENTATIONS)('SaleWriter contract: %s', (_name, make) => {
  it('names the terminal it writes for', () => {
    const { writer } = make(ledger, sign);
    expect([writer.storeId, writer.terminalId]).toEqual(['s1', 't1']);
  });

  it('sees committed write-offs and sales, and a returned write-off as inactive', () => {
    const subject = make(ledger, sign);
    within(subject, () => {
      expect([...subject.writer.writeOffsOf(['OLD-1', 'OLD-2', 'NEVER']).keys()]).toEqual(['OLD-1']);
      expect(subject.writer.saleByExternalRef('old')?.writeOffs.map((w) => w.payload.codeKey)).toEqual([
        'OLD-1',
        'OLD-2',
      ]);
      expect(subject.writer.saleByExternalRef('nope')).toBeUndefined();
    });
    subject.commit();
  });

  it('reads back its own appends before they are committed, and they are durable after', () => {
    const subject = make(ledger, sign);
    const sale = within(subject, () => {
      const s = sell(subject.writer, 'new', ['NEW-1', 'NEW-2']);
      const active = subject.writer.writeOffsOf(['NEW-1', 'NEW-2', 'OLD-1', 'OLD-2']);
      expect([...active.keys()].sort()).toEqual(['NEW-1', 'NEW-2', 'OLD-1']);
      expect(active.get('NEW-2')).toMatchObject({ saleId: s.id, storeId: 's1', terminalId: 't1' });
      const stored = subject.writer.saleByExternalRef('new');
      expect(stored?.sale.id).toBe(s.id);
      expect(stored?.writeOffs.map((w) => [w.payload.codeKey, w.payload.line])).toEqual([
        ['NEW-1', 0],
        ['NEW-2', 1],
      ]);
      return s;
    });
    subject.commit();
    expect(ledger.writeOffOf('NEW-2')).toMatchObject({ saleId: sale.id });
    expect(ledger.saleByExternalRef('new')?.sale.id).toBe(sale.id);
    expect(ledger.verifyChain()).toMatchObject({ ok: true });
  });

  it('chains its records after the committed head, gap-free, with the sale before its write-offs', () => {
    const head = ledger.headSeq();
    const subject = make(ledger, sign);
    within(subject, () => sell(subject.writer, 'r', ['K-1']));
    subject.commit();
    const mine = ledger.records(head, 100).filter((r) => r.type === 'sale' || r.type === 'write_off');
    const seqs = ledger.records(0, 100).map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(mine.map((r) => r.type).slice(-2)).toEqual(['sale', 'write_off']);
  });

  it('answers like a reference model over random sales (seeded; the seed is printed on failure)', () => {
    // Each run: a fresh subject on the shared committed history, random sales of keys from a small
    // pool (so keys repeat across sales, as a clone would), reads of random keys and refs between
    // appends, then commit; every read must match the model, and so must the ledger afterwards.
    const pool = ['A', 'B', 'C', 'D', 'E', 'OLD-1', 'OLD-2'];
    const step = fc.oneof(
      fc.record({
        sell: fc.uniqueArray(fc.constantFrom(...pool.slice(0, 5)), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({ readKeys: fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 4 }) }),
      fc.record({ readRef: fc.integer({ min: 0, max: 6 }) }),
    );
    let run = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        run++;
        const subject = make(ledger, sign);
        const model = new Map<string, string>([['OLD-1', 'old']]);
        const refs = new Set(['old']);
        within(subject, () => {
          for (const s of steps) {
            if ('sell' in s) {
              // The checkout never writes off an active key (it refuses the sale): nor does the model.
              if (s.sell.some((k) => model.has(k))) continue;
              const ref = `run${run}-${refs.size}`;
              sell(subject.writer, ref, s.sell);
              refs.add(ref);
              for (const k of s.sell) model.set(k, ref);
            } else if ('readKeys' in s) {
              const active = subject.writer.writeOffsOf(s.readKeys);
              const expected = s.readKeys.filter((k) => model.has(k) || isCommittedActive(k));
              expect([...active.keys()].sort()).toEqual([...new Set(expected)].sort());
            } else {
              const ref = [...refs][s.readRef % refs.size]!;
              expect(subject.writer.saleByExternalRef(ref)?.sale.payload.externalRef).toBe(ref);
            }
          }
        });
        subject.commit();
        for (const [k, ref] of model) {
          const sale = ledger.saleByExternalRef(ref);
          expect(ledger.writeOffOf(k)?.saleId).toBe(sale?.sale.id);
        }
        // Keys sold in this run stay sold for the next run (the ledger is shared): return them so
        // each run starts from the same committed state.
        returnAll(model);
      }),
      { numRuns: 25 },
    );
    expect(ledger.verifyChain()).toMatchObject({ ok: true });
  });
});

/** Keys that were active before the run started and are not touched by it. */
function isCommittedActive(key: string): boolean {
  return key === 'OLD-1';
}

/** Returns every write-off the model run made (OLD-1 stays sold), so runs start alike. */
function returnAll(model: Map<string, string>): void {
  const lines = [...model.keys()]
    .filter((k) => k !== 'OLD-1')
    .map((codeKey) => {
      const w = ledger.writeOffOf(codeKey)!;
      return { codeKey, saleId: w.saleId, writeOffId: w.writeOffId, writeOffSeq: w.writeOffSeq };
    });
  if (lines.length > 0) ledger.append('return', { approvedBy: 'manager', lines });
}
