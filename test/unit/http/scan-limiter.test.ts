import { describe, expect, it } from 'vitest';
import { ConnectionScanLimit, TokenBucket } from '../../../terminal/http/scan-limiter.js';
import { originAllowed } from '../../../terminal/http/server.js';

const LIMITS = {
  scansPerSecond: 10,
  scanBurst: 20,
  anonymousScansPerSecond: 50,
  anonymousScanBurst: 100,
  wsRefusalsBeforeClose: 100,
};

describe('scan limits', () => {
  it('a bucket gives its burst at once, then its rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ perSecond: 10, burst: 20, clock: () => now });
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(20);
    expect(bucket.waitMs).toBe(100);
    now += 1_000;
    taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(10);
  });

  it('a connection is refused past its own rate, and called flooding after 100 refusals in 10 s', () => {
    let now = 0;
    const clock = () => now;
    const limit = new ConnectionScanLimit(LIMITS, undefined, clock);
    const outcomes = Array.from({ length: 119 }, () => limit.admit());
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(20);
    expect(outcomes[20]).toMatchObject({ code: 'rate_limited', scope: 'connection' });
    expect(limit.flooding).toBe(false);
    limit.admit();
    expect(limit.flooding).toBe(true);
    // A scanner at a real pace is never refused.
    const steady = new ConnectionScanLimit(LIMITS, undefined, clock);
    for (let i = 0; i < 1_000; i++) {
      now += 200;
      expect(steady.admit()).toBeUndefined();
    }
  });

  it('the anonymous budget is shared, and its refusals never close an honest connection', () => {
    let now = 0;
    const clock = () => now;
    const shared = new TokenBucket({ perSecond: 50, burst: 100, clock });
    const flood = new ConnectionScanLimit(
      { ...LIMITS, scanBurst: 1_000, scansPerSecond: 1_000 },
      shared,
      clock,
    );
    for (let i = 0; i < 100; i++) expect(flood.admit()).toBeUndefined();
    // An honest page scanning at its own pace while the shared budget is spent: refused, never closed.
    const honest = new ConnectionScanLimit(LIMITS, shared, clock);
    for (let i = 0; i < 200; i++) {
      expect(honest.admit()).toMatchObject({ scope: 'anonymous' });
      now += 200;
      while (shared.take()); // the flood spends whatever the shared budget regains
    }
    expect(honest.flooding).toBe(false);
    now += 1_000; // the flood stopped: the honest page is served again
    expect(honest.admit()).toBeUndefined();
  });

  it('WebSocket origins: the terminal’s own, or a configured one', () => {
    expect(originAllowed('http://kiosk.local:8080', 'kiosk.local:8080', [])).toBe(true);
    expect(originAllowed('http://KIOSK.local:8080', 'kiosk.local:8080', [])).toBe(true);
    expect(originAllowed('http://evil.example', 'kiosk.local:8080', [])).toBe(false);
    expect(originAllowed('http://kiosk.local:8081', 'kiosk.local:8080', [])).toBe(false);
    expect(originAllowed('null', 'kiosk.local:8080', [])).toBe(false);
    expect(originAllowed('file://x', 'x', [])).toBe(false);
    expect(originAllowed('http://dev.local:5173', 'kiosk.local:8080', ['http://dev.local:5173'])).toBe(true);
  });
});
