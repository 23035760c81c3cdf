import { describe, expect, it } from 'vitest';
import { IngestQueue, type IngestQueueOptions } from '../../../upstream/ingest-queue.js';
import type { IngestBatch, IngestResult } from '../../../upstream/storage/ingest-types.js';

/** A payload names its terminal and a number: `t1:3`. */
const payload = (terminal: string, n: number) => Buffer.from(`${terminal}:${n}`);
const tag = (b: IngestBatch) => `${b.terminalId}:${b.records[0]!.seq}`;

interface Call {
  batches: IngestBatch[];
  finish(held?: (b: IngestBatch) => boolean): void;
}

/** A queue whose storage calls stay open until the test finishes them. */
function harness(overrides: Partial<IngestQueueOptions> = {}) {
  const calls: Call[] = [];
  const decoded: string[] = [];
  let callWaiter: (() => void) | undefined;
  const work: Promise<unknown>[] = [];
  let running = 0;
  let maxRunning = 0;
  const queue = new IngestQueue({
    decode(storeId, terminalId, p) {
      const [, n] = p.toString().split(':');
      decoded.push(p.toString());
      if (n === 'bad') return undefined;
      const seq = Number(n);
      return {
        storeId,
        terminalId,
        records: [{ seq } as IngestBatch['records'][number]],
      };
    },
    ingest(batches) {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<IngestResult[]>((resolve) => {
        calls.push({
          batches,
          finish(held = () => false) {
            running--;
            resolve(
              batches.map((b) => ({
                ackSeq: 0,
                accepted: [],
                duplicates: 0,
                unitEvents: 0,
                ...(held(b) ? { held: true } : {}),
              })),
            );
          },
        });
        callWaiter?.();
      });
    },
    ingested: async () => {},
    maxBatches: 4,
    maxBytes: 0,
    maxCalls: 2,
    gapGraceMs: 0,
    maxHeld: 100,
    heldRetryMs: 5,
    track: (w) => work.push(w),
    onError: (e) => {
      throw e;
    },
    ...overrides,
  });
  const nextCall = async (n: number): Promise<Call> => {
    while (calls.length < n) await new Promise<void>((r) => (callWaiter = r));
    return calls[n - 1]!;
  };
  return { queue, calls, decoded, nextCall, maxRunning: () => maxRunning, settle: () => Promise.all(work) };
}

describe('IngestQueue', () => {
  it('groups batches that arrive while a call runs into the next call, up to maxBatches', async () => {
    const h = harness({ maxCalls: 1 });
    h.queue.push('s', 't1', payload('t1', 1));
    const first = await h.nextCall(1);
    expect(first.batches.map(tag)).toEqual(['t1:1']);
    for (let i = 0; i < 6; i++) h.queue.push('s', `u${i}`, payload(`u${i}`, 1));
    first.finish();
    const second = await h.nextCall(2);
    expect(second.batches.map(tag)).toEqual(['u0:1', 'u1:1', 'u2:1', 'u3:1']);
    second.finish();
    const third = await h.nextCall(3);
    expect(third.batches.map(tag)).toEqual(['u4:1', 'u5:1']);
    third.finish();
    await h.settle();
    expect(h.calls).toHaveLength(3);
  });

  it('decodes the next call’s batches while a call runs, and only as many as one call takes', async () => {
    const h = harness({ maxCalls: 1 });
    h.queue.push('s', 't1', payload('t1', 1));
    const first = await h.nextCall(1);
    for (let i = 0; i < 6; i++) h.queue.push('s', `u${i}`, payload(`u${i}`, 1));
    // Decoded as they arrived (the call still runs): the first four, what the next call takes.
    expect(h.decoded).toEqual(['t1:1', 'u0:1', 'u1:1', 'u2:1', 'u3:1']);
    first.finish();
    (await h.nextCall(2)).finish();
    (await h.nextCall(3)).finish();
    await h.settle();
    expect(h.decoded).toHaveLength(7); // each once
  });

  it('never has one terminal in two calls at once, keeps each terminal’s order, and runs at most maxCalls', async () => {
    const h = harness();
    h.queue.push('s', 't1', payload('t1', 1));
    const first = await h.nextCall(1);
    // t1's next batches wait for the first call; a whole call's worth of others starts a second.
    h.queue.push('s', 't1', payload('t1', 2));
    for (let i = 0; i < 4; i++) h.queue.push('s', `u${i}`, payload(`u${i}`, 1));
    h.queue.push('s', 't1', payload('t1', 3));
    const second = await h.nextCall(2);
    expect(second.batches.map(tag)).toEqual(['u0:1', 'u1:1', 'u2:1', 'u3:1']);
    for (let i = 4; i < 9; i++) h.queue.push('s', `u${i}`, payload(`u${i}`, 1));
    await new Promise((r) => setImmediate(r));
    expect(h.calls).toHaveLength(2); // maxCalls
    first.finish();
    const third = await h.nextCall(3);
    expect(third.batches.map(tag)).toEqual(['t1:2', 't1:3', 'u4:1', 'u5:1']);
    second.finish();
    third.finish();
    const fourth = await h.nextCall(4);
    expect(fourth.batches.map(tag)).toEqual(['u6:1', 'u7:1', 'u8:1']);
    fourth.finish();
    await h.settle();
    expect(h.maxRunning()).toBe(2);
  });

  it('starts no second call for less than a whole call’s worth: a light load stays grouped', async () => {
    const h = harness();
    h.queue.push('s', 't1', payload('t1', 1));
    const first = await h.nextCall(1);
    for (let i = 0; i < 3; i++) h.queue.push('s', `u${i}`, payload(`u${i}`, 1));
    await new Promise((r) => setImmediate(r));
    expect(h.calls).toHaveLength(1);
    first.finish();
    (await h.nextCall(2)).finish();
    await h.settle();
    expect(h.calls[1]!.batches.map(tag)).toEqual(['u0:1', 'u1:1', 'u2:1']);
  });

  it('retries a held batch ahead of its terminal’s later batches, and holds no longer than gapGraceMs', async () => {
    const h = harness({ maxCalls: 1, gapGraceMs: 60_000 });
    h.queue.push('s', 't1', payload('t1', 5));
    const first = await h.nextCall(1);
    expect(first.batches[0]!.holdIfEarly).toBe(true);
    h.queue.push('s', 't1', payload('t1', 6));
    first.finish(() => true); // t1:5 held: its predecessor is with another worker
    const retry = await h.nextCall(2);
    expect(retry.batches.map(tag)).toEqual(['t1:5', 't1:6']); // in order, one call
    retry.finish();
    await h.settle();
    expect(h.calls).toHaveLength(2);

    const late = harness({ maxCalls: 1, gapGraceMs: 1 });
    late.queue.push('s', 't1', payload('t1', 5));
    const call = await late.nextCall(1);
    const started = Date.now();
    call.finish(() => true);
    let again = await late.nextCall(2);
    while (again.batches[0]!.holdIfEarly) {
      again.finish(() => true);
      again = await late.nextCall(late.calls.length + 1);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1);
    again.finish();
    await late.settle();
  });

  it('drops a batch that does not decode and ingests the rest', async () => {
    const h = harness({ maxCalls: 1 });
    h.queue.push('s', 't1', payload('t1', 'bad' as unknown as number));
    h.queue.push('s', 't2', payload('t2', 1));
    const call = await h.nextCall(1);
    expect(call.batches.map(tag)).toEqual(['t2:1']);
    call.finish();
    await h.settle();
    expect(h.queue.length).toBe(0);
  });
});
