import { describe, expect, it } from 'vitest';
import type { LedgerRecord, OutboxReader } from '../../../terminal/ledger/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { OutboxDrain } from '../../../terminal/sync/drain.js';

/** An outbox of `n` records that can grow (`add`), as the ledger's does while the drain runs. */
function growingOutbox(n: number): OutboxReader & { acked: number; add(k: number): void; size(): number } {
  let size = n;
  const record = (seq: number): LedgerRecord => ({
    id: `r${seq}`,
    seq,
    type: 'receipt_printed',
    at: '2026-01-01T00:00:00.000Z',
    storeId: 's1',
    terminalId: 't1',
    payload: { seq },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    signature: 'c2ln',
  });
  const box = {
    acked: 0,
    add: (k: number) => {
      size += k;
    },
    size: () => size,
    pending: (after: number, limit: number) => {
      const out: LedgerRecord[] = [];
      for (let seq = Math.max(after, box.acked) + 1; seq <= size && out.length < limit; seq++)
        out.push(record(seq));
      return out;
    },
    acknowledge: (seq: number) => {
      if (seq > size) throw new Error(`ack ${seq} beyond head ${size}`);
      box.acked = seq;
    },
    stats: () => ({ pending: size - box.acked, lastAckedSeq: box.acked }),
  };
  return box;
}

const options = {
  maxBatchBytes: 4096,
  maxBatchRecords: 10,
  maxInFlightBatches: 2,
  ackTimeoutMs: 1000,
  ackPersistMs: 0,
  pollIntervalMs: 100,
  compress: false,
  compressBelowBytesPerSecond: 4_000_000,
  maxRecordsPerSecond: 0,
  storeId: 's1',
  terminalId: 't1',
};

const settle = async () => {
  for (let i = 0; i < 4; i++) await new Promise((r) => setTimeout(r, 5));
};

function drainOver(box: ReturnType<typeof growingOutbox>) {
  const sent: number[] = [];
  const drain = new OutboxDrain(
    {
      outbox: box,
      logger: silentLogger(),
      isConnected: () => true,
      publish: async (payload) => {
        const batch = JSON.parse(payload.toString()) as { firstSeq: number; ids: string[] };
        sent.push(batch.firstSeq + batch.ids.length - 1);
      },
    },
    options,
  );
  return { drain, sent };
}

describe('OutboxDrain acknowledgement validation', () => {
  it('ignores an ack beyond the ledger head (a forged ackSeq 1000000000), keeps draining, and clears on a valid ack', async () => {
    const box = growingOutbox(30);
    const { drain, sent } = drainOver(box);
    drain.linkUp();
    await settle();
    expect(sent).toEqual([10, 20]);
    expect(drain.onAck(1_000_000_000)).toBe(false);
    expect(drain.ackedSeq).toBe(0);
    expect(box.acked).toBe(0);
    expect(drain.rejectedAck).toMatchObject({ code: 'impossible_ack' });
    expect(drain.rejectedAck?.detail).toContain('beyond our last record 30');
    expect(drain.rejectedAcks).toBe(1);
    // The drain still moves on real acks, and a believed ack clears the warning.
    expect(drain.onAck(10)).toBe(true);
    await settle();
    expect(box.acked).toBe(10);
    expect(drain.rejectedAck).toBeUndefined();
    expect(sent).toEqual([10, 20, 30]);
    expect(drain.rejectedAcks).toBe(1);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['beyond 2^53', Number.MAX_SAFE_INTEGER + 2],
  ])('refuses a %s ackSeq without moving anything', (_name, ackSeq) => {
    const box = growingOutbox(5);
    const { drain } = drainOver(box);
    expect(drain.onAck(ackSeq)).toBe(false);
    expect(drain.ackedSeq).toBe(0);
    expect(box.acked).toBe(0);
    expect(drain.rejectedAck?.code).toBe('impossible_ack');
  });

  it('believes an ack beyond what this run sent but within the ledger (restart before the ack was persisted)', () => {
    const box = growingOutbox(50);
    const { drain } = drainOver(box);
    expect(drain.stats().sentSeq).toBe(0);
    expect(drain.onAck(42)).toBe(true);
    expect(box.acked).toBe(42);
    expect(drain.stats().sentSeq).toBe(42);
  });

  it('re-reads the head when the ledger grew since the last check', () => {
    const box = growingOutbox(5);
    const { drain } = drainOver(box);
    expect(drain.onAck(5)).toBe(true);
    expect(drain.onAck(8)).toBe(false);
    box.add(3);
    expect(drain.onAck(8)).toBe(true);
    expect(box.acked).toBe(8);
  });

  it('an ack below the one already applied is harmless and moves nothing back', () => {
    const box = growingOutbox(20);
    const { drain } = drainOver(box);
    expect(drain.onAck(15)).toBe(true);
    expect(drain.onAck(3)).toBe(true);
    expect(drain.ackedSeq).toBe(15);
    expect(box.acked).toBe(15);
  });
});
