import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { createLogger } from '../../../terminal/logger.js';
import { verifyCommandSignature } from '../../../terminal/sync/command-signing.js';
import { DownlinkBudget } from '../../../terminal/sync/delivery-downlink.js';
import type { DeliveryOutcome } from '../../../terminal/sync/protocol.js';
import { buildDeliveryNote, DeliverySender } from '../../../upstream/delivery-send.js';
import { SqliteUpstreamStorage } from '../../../upstream/storage/sqlite/sqlite-storage.js';
import { cn20, noteOf, pallet } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const key = generateKeyPairSync('ed25519');

describe('buildDeliveryNote', () => {
  it('signs the body as written, with id, target and validity, verifiable with the pinned key', () => {
    const body = noteOf({ deliveryId: 'ASN-1', pallets: [pallet(1, 2, 3, 1)], units: [cn20(9)] });
    const { doc, units } = buildDeliveryNote(body, { storeId: 's1' }, key.privateKey, {
      ttlMs: 3_600_000,
      now: Date.parse('2026-12-07T10:00:00Z'),
    });
    expect(units).toBe(7);
    expect(doc).toMatchObject({
      v: 1,
      kind: 'delivery_note',
      target: { storeId: 's1' },
      issuedAt: '2026-12-07T10:00:00.000Z',
      expiresAt: '2026-12-07T11:00:00.000Z',
      note: body,
    });
    expect(verifyCommandSignature(doc, [key.publicKey])).toBe(true);
    const moved = { ...doc, target: { storeId: 's2' } };
    expect(verifyCommandSignature(moved, [key.publicKey])).toBe(false);
  });

  it('names the field of a body that is not the format, before signing', () => {
    expect(() =>
      buildDeliveryNote({ deliveryId: 'A', supplier: { id: 'x' } }, { storeId: 's1' }, key.privateKey),
    ).toThrow(/delivery note supplier\.name/);
    expect(() => buildDeliveryNote([], { storeId: 's1' }, key.privateKey)).toThrow(/delivery note \(note\)/);
  });
});

describe("DeliverySender and the SQLite engine's delivery notes", () => {
  const tmp = makeTempDir('vt-delivery-send-');
  afterAll(() => tmp.cleanup());
  const logger = createLogger({ level: 'silent' });

  function rig() {
    const db = openDatabase(join(tmp.dir, `${Math.random().toString(36).slice(2)}.db`));
    const log = new SqliteUpstreamStorage(db).deliveries;
    const published: { topic: string; payload: string; expiry: number }[] = [];
    const sender = new DeliverySender({
      log,
      logger,
      key: key.privateKey,
      publish: async (topic, payload, expiry) => {
        published.push({ topic, payload, expiry });
      },
    });
    return { db, log, sender, published };
  }

  const outcome = (id: string, status: DeliveryOutcome['status'], extra: Partial<DeliveryOutcome> = {}) =>
    Buffer.from(JSON.stringify({ v: 1, id, at: '2026-12-07T10:00:01Z', status, ...extra }));

  it('publishes to the terminal topic with message expiry, resolves with the first outcome, which the log keeps', async () => {
    const { log, sender, published } = rig();
    const target = { storeId: 's1', terminalId: 't1' };
    const pending = sender.send(target, noteOf({ deliveryId: 'ASN-2', units: [cn20(1)] }), {
      ttlMs: 7_200_000,
      timeoutMs: 10_000,
    });
    await new Promise((r) => setImmediate(r));
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe('vt/s1/t1/deliveries');
    expect(published[0]!.expiry).toBe(7200);
    const id = (JSON.parse(published[0]!.payload) as { id: string }).id;
    expect(await log.note(id)).toMatchObject({ status: 'sent', units: 1 });
    // Another terminal cannot answer for it.
    await sender.onOutcome(
      { storeId: 's1', terminalId: 't2' },
      outcome(id, 'refused', { code: 'bad_signature' }),
    );
    expect((await log.note(id))?.status).toBe('sent');
    await sender.onOutcome(target, outcome(id, 'accepted', { deliveryId: 'ASN-2', units: 1 }));
    await expect(pending).resolves.toMatchObject({ status: 'accepted', units: 1 });
    // A QoS 1 redelivery refused as replayed does not overwrite the first answer.
    await sender.onOutcome(target, outcome(id, 'refused', { code: 'replayed' }));
    expect(await log.note(id)).toMatchObject({ status: 'accepted', code: null });
    // Malformed reports are dropped.
    await sender.onOutcome(target, Buffer.from('not json'));
    await sender.onOutcome(target, Buffer.from(JSON.stringify({ v: 1, id, status: 'maybe' })));
    expect((await log.note(id))?.status).toBe('accepted');
  });

  it('times out with delivery_timeout naming the delivery; a later outcome is still logged', async () => {
    const { log, sender, published } = rig();
    const target = { storeId: 's1', terminalId: 't1' };
    await expect(
      sender.send(target, noteOf({ deliveryId: 'ASN-3', units: [cn20(2)] }), { timeoutMs: 50 }),
    ).rejects.toMatchObject({ code: 'delivery_timeout', message: expect.stringContaining('ASN-3') });
    const id = (JSON.parse(published[0]!.payload) as { id: string }).id;
    await sender.onOutcome(target, outcome(id, 'refused', { code: 'expired', message: 'expired at …' }));
    expect(await log.note(id)).toMatchObject({ status: 'refused', code: 'expired', message: 'expired at …' });
  });

  it('refuses to send a note larger than a terminal reads', async () => {
    const { sender, published } = rig();
    const units = Array.from({ length: 2000 }, (_, i) => cn20(i));
    await expect(
      sender.send({ storeId: 's1', terminalId: 't1' }, noteOf({ deliveryId: 'ASN-4', units }), {
        maxBytes: 10_000,
      }),
    ).rejects.toMatchObject({ code: 'delivery_note_too_large' });
    expect(published).toHaveLength(0);
  });
});

describe('DownlinkBudget', () => {
  it('allows a burst, then the refill rate, and reports the first refusal of each run once', () => {
    let now = 0;
    const budget = new DownlinkBudget({ burst: 3, perMinute: 60, bytesPerMinute: 1000 }, () => now);
    let warnings = 0;
    const warn = () => warnings++;
    expect([1, 2, 3, 4, 5].map(() => budget.take(10, warn))).toEqual([true, true, true, false, false]);
    expect(warnings).toBe(1);
    now += 1000; // one note a second
    expect(budget.take(10, warn)).toBe(true);
    expect(budget.take(10, warn)).toBe(false);
    expect(warnings).toBe(2);
    expect(budget.dropped).toBe(3);
    // Bytes: a minute's worth at most.
    now += 60_000;
    expect(budget.take(900, warn)).toBe(true);
    expect(budget.take(200, warn)).toBe(false);
  });
});
