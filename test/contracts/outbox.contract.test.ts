import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateTerminalKey } from '../../terminal/identity/index.js';
import { Ledger } from '../../terminal/ledger/index.js';
import { MemoryOutbox } from '../../terminal/ledger/testing/memory-outbox.js';
import type { LedgerRecord, OutboxReader } from '../../terminal/ledger/types.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * One contract for every `OutboxReader` (terminal/ledger/types.ts), the port terminal/sync drains:
 * the ledger's outbox and the in-memory one tests of the drain use. Both must hand out the same
 * records in the same order, move only on acknowledgement, and (where offered) describe a run in
 * JSON columns exactly as `pending()` returns it.
 */
interface Subject {
  outbox: OutboxReader;
  /** Appends `n` records (alerts with a small payload) to whatever feeds the outbox. */
  add(n: number): void;
  close(): void;
}

const IMPLEMENTATIONS: [string, () => Subject][] = [
  [
    'Ledger',
    () => {
      const temp = makeTempDir();
      const identity = loadOrCreateTerminalKey(join(temp.dir, 'key.pem'));
      const ledger = Ledger.open({
        file: join(temp.dir, 'ledger.db'),
        identity,
        storeId: 's1',
        terminalId: 't1',
      });
      return {
        outbox: ledger,
        add: (n) => {
          for (let i = 0; i < n; i++) ledger.append('alert', { kind: 'sync_gap', note: `n${i} 正品 "q"` });
        },
        close: () => {
          ledger.close();
          temp.cleanup();
        },
      };
    },
  ],
  [
    'MemoryOutbox',
    () => {
      const outbox = new MemoryOutbox();
      let prevHash = '0'.repeat(64);
      return {
        outbox,
        add: (n) => {
          for (let i = 0; i < n; i++) {
            const seq = (outbox.pending(0, Number.MAX_SAFE_INTEGER).at(-1)?.seq ?? outbox.acked) + 1;
            const hash = seq.toString(16).padStart(64, '0');
            const record: LedgerRecord = {
              id: `R${seq}`,
              seq,
              type: 'alert',
              at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
              storeId: 's1',
              terminalId: 't1',
              payload: { kind: 'sync_gap', note: `n${i} 正品 "q"` },
              prevHash,
              hash,
              signature: 'c2ln',
            };
            prevHash = hash;
            outbox.push(record);
          }
        },
        close: () => undefined,
      };
    },
  ],
];

describe.each(IMPLEMENTATIONS)('OutboxReader contract: %s', (_name, make) => {
  let subject: Subject;
  beforeEach(() => {
    subject = make();
  });
  afterEach(() => subject.close());

  it('starts empty', () => {
    expect(subject.outbox.pending(0, 10)).toEqual([]);
    expect(subject.outbox.stats()).toEqual({ pending: 0, lastAckedSeq: 0 });
    expect(subject.outbox.pendingRun?.(0, 10, 1_000_000)).toBeUndefined();
  });

  it('hands out records in sequence order after a cursor, at most `limit`', () => {
    subject.add(7);
    expect(subject.outbox.pending(0, 3).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(subject.outbox.pending(3, 100).map((r) => r.seq)).toEqual([4, 5, 6, 7]);
    expect(subject.outbox.pending(7, 100)).toEqual([]);
    const stats = subject.outbox.stats();
    expect(stats).toMatchObject({ pending: 7, lastAckedSeq: 0 });
    expect(stats.oldestPendingAt).toBe(subject.outbox.pending(0, 1)[0]?.at);
  });

  it('moves only on acknowledgement, never backwards, never past its head', () => {
    subject.add(5);
    subject.outbox.acknowledge(3);
    expect(subject.outbox.pending(0, 100).map((r) => r.seq)).toEqual([4, 5]);
    expect(subject.outbox.stats()).toMatchObject({ pending: 2, lastAckedSeq: 3 });
    subject.outbox.acknowledge(2);
    expect(subject.outbox.stats()).toMatchObject({ pending: 2, lastAckedSeq: 3 });
    expect(() => subject.outbox.acknowledge(6)).toThrow(
      expect.objectContaining({ code: 'ledger_ack_ahead' }),
    );
    expect(subject.outbox.stats()).toMatchObject({ pending: 2, lastAckedSeq: 3 });
    subject.outbox.acknowledge(5);
    expect(subject.outbox.stats()).toEqual({ pending: 0, lastAckedSeq: 5 });
  });

  it('describes a run in JSON columns exactly as pending() returns those records', () => {
    subject.add(6);
    const run = subject.outbox.pendingRun?.(1, 4, 1_000_000);
    expect(run).toBeDefined();
    if (!run) return;
    const records = subject.outbox.pending(1, 4);
    expect(run).toMatchObject({ count: 4, firstSeq: 2, lastSeq: 5, prevHash: records[0]!.prevHash });
    const columns = JSON.parse(`{${run.columns.toString('utf8')}}`) as Record<string, unknown[]>;
    expect(columns).toEqual({
      ids: records.map((r) => r.id),
      types: records.map((r) => r.type),
      ats: records.map((r) => r.at),
      payloads: records.map((r) => r.payload),
      sigs: records.map((r) => r.signature),
    });
  });

  it('keeps a run within maxBytes, but always gives at least one record', () => {
    subject.add(10);
    const one = subject.outbox.pendingRun?.(0, 10, 1);
    expect(one?.count).toBe(1);
    const all = subject.outbox.pendingRun?.(0, 10, 1_000_000);
    const half = subject.outbox.pendingRun?.(0, 10, Math.floor((all?.columns.length ?? 0) / 2));
    if (!all || !half) throw new Error('pendingRun is expected of both implementations');
    expect(half.count).toBeGreaterThan(1);
    expect(half.count).toBeLessThan(all.count);
    expect(half.columns.length).toBeLessThanOrEqual(Math.floor(all.columns.length / 2));
  });
});
