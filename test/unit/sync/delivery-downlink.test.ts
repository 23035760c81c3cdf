import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../terminal/logger.js';
import { DeliveryDownlink, type DeliveryNoteResult } from '../../../terminal/sync/delivery-downlink.js';
import { syncOptionsSchema } from '../../../terminal/sync/options.js';
import type { DeliveryOutcome } from '../../../terminal/sync/protocol.js';
import type { SyncStore } from '../../../terminal/sync/sync-store.js';

/** A downlink with a stub receiver: what it reports, refuses and looks at. */
function rig(receive: (raw: unknown) => DeliveryNoteResult, deliveries: Record<string, number> = {}) {
  const options = syncOptionsSchema.parse({
    brokerUrl: 'mqtt://x',
    storeId: 's1',
    terminalId: 't1',
    deliveries,
  });
  const published: DeliveryOutcome[] = [];
  const refused: { code: string; message: string }[] = [];
  const seen: unknown[] = [];
  const downlink = new DeliveryDownlink(
    {
      receive: (raw) => {
        seen.push(raw);
        return receive(raw);
      },
      trust: () => ({ keys: [], storeId: 's1', maxClockSkewMs: 0, nonces: {} as SyncStore, nowMs: 0 }),
      publishOutcome: async (o) => {
        published.push(o);
      },
      refuse: (code, message) => refused.push({ code, message }),
      onOutcome: () => undefined,
      logger: createLogger({ level: 'silent' }),
      now: () => 0,
    },
    options.deliveries,
  );
  return { downlink, published, refused, seen };
}

const note = (id: string) => Buffer.from(JSON.stringify({ id, v: 1 }));

describe('DeliveryDownlink', () => {
  it('reports accepted, already_imported and refused outcomes under the note id', () => {
    const answers: DeliveryNoteResult[] = [
      { ok: true, status: 'imported', deliveryId: 'D1', units: 3 },
      { ok: true, status: 'already_imported', deliveryId: 'D1', units: 3 },
      { ok: false, code: 'expired', message: 'expired at …', deliveryId: 'D2' },
    ];
    const { downlink, published, refused } = rig(() => answers.shift()!);
    for (const id of ['n-0001', 'n-0002', 'n-0003']) downlink.onMessage(note(id));
    expect(published.map((o) => [o.id, o.status, o.units ?? o.code])).toEqual([
      ['n-0001', 'accepted', 3],
      ['n-0002', 'already_imported', 3],
      ['n-0003', 'refused', 'expired'],
    ]);
    expect(refused).toEqual([{ code: 'expired', message: 'expired at …' }]);
  });

  it('a storage fault is refused as store_failed; non-JSON and oversized are refused unread and unreported', () => {
    const { downlink, published, refused, seen } = rig(
      () => {
        throw new Error('SQLITE_FULL: database or disk is full');
      },
      { maxNoteBytes: 2048, bytesPerMinute: 1_000_000 },
    );
    downlink.onMessage(note('n-0004'));
    expect(published).toMatchObject([{ id: 'n-0004', status: 'refused', code: 'store_failed' }]);
    downlink.onMessage(Buffer.from('{ not json'));
    downlink.onMessage(Buffer.alloc(4096, 0x20));
    downlink.onMessage(Buffer.alloc(0));
    expect(refused.map((r) => r.code)).toEqual(['store_failed', 'malformed', 'oversized']);
    expect(published).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });

  it('over the budget, notes are dropped unread', () => {
    const { downlink, published, seen } = rig(
      () => ({ ok: true, status: 'imported', deliveryId: 'D', units: 1 }),
      {
        burst: 2,
        perMinute: 1,
      },
    );
    for (let i = 0; i < 10; i++) downlink.onMessage(note(`n-${1000 + i}`));
    expect(seen).toHaveLength(2);
    expect(published).toHaveLength(2);
    expect(downlink.dropped).toBe(8);
  });
});
