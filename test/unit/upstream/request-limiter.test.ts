import { describe, expect, it } from 'vitest';
import { RequestLimiter } from '../../../upstream/request-limiter.js';

// A terminal (or a stolen login) flooding registry/ledger requests: upstream answers a burst, then
// a steady rate, drops the rest, logs one line per flood, and keeps a bounded number of buckets.

describe('RequestLimiter', () => {
  it('answers a burst, then the refill rate; drops the rest and reports each flood once', () => {
    let clock = 0;
    const limiter = new RequestLimiter({ burst: 5, perSecond: 10 }, () => clock);
    let floods = 0;
    const take = () => limiter.take('S1/T1', () => floods++);
    const burst = Array.from({ length: 1000 }, take);
    expect(burst.filter(Boolean)).toHaveLength(5);
    expect(limiter.dropped).toBe(995);
    expect(floods).toBe(1);
    clock += 300; // 3 tokens
    expect(Array.from({ length: 10 }, take).filter(Boolean)).toHaveLength(3);
    expect(floods).toBe(2); // a new run of refusals after requests were answered again
    clock += 60_000; // refills to the burst, not beyond
    expect(Array.from({ length: 10 }, take).filter(Boolean)).toHaveLength(5);
  });

  it('limits each terminal on its own', () => {
    const limiter = new RequestLimiter({ burst: 2, perSecond: 1 }, () => 0);
    expect([limiter.take('S1/T1'), limiter.take('S1/T1'), limiter.take('S1/T1')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limiter.take('S1/T2')).toBe(true);
  });

  it('keeps at most maxKeys buckets (the oldest goes)', () => {
    const limiter = new RequestLimiter({ burst: 1, perSecond: 1, maxKeys: 100 }, () => 0);
    for (let i = 0; i < 10_000; i++) limiter.take(`S/T${i}`);
    expect(limiter.size()).toBe(100);
  });
});
