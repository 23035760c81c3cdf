import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import type { LedgerRecord, OutboxReader } from '../../../terminal/ledger/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { checkCommand } from '../../../terminal/sync/command-guard.js';
import { signCommand } from '../../../terminal/sync/command-signing.js';
import { OutboxDrain } from '../../../terminal/sync/drain.js';
import { backoffDelayMs } from '../../../terminal/sync/link.js';
import { syncOptionsSchema } from '../../../terminal/sync/options.js';
import {
  type Announcement,
  compactBatchSchema,
  decodeFrame,
  encodeFrame,
  parseRecordBatch,
  type ReleaseRef,
  recordBatchSchema,
} from '../../../terminal/sync/protocol.js';
import { planUpdate } from '../../../terminal/sync/registry-transfer.js';
import { SyncStore } from '../../../terminal/sync/sync-store.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('backoffDelayMs', () => {
  const o = { initialDelayMs: 500, maxDelayMs: 30_000, jitter: 0.3, connectTimeoutMs: 1 };
  it('doubles up to the cap and jitters within ±jitter/2', () => {
    expect(backoffDelayMs(0, o, () => 0.5)).toBe(500);
    expect(backoffDelayMs(3, o, () => 0.5)).toBe(4000);
    expect(backoffDelayMs(50, o, () => 0.5)).toBe(30_000);
    expect(backoffDelayMs(50, o, () => 0)).toBe(25_500);
    expect(backoffDelayMs(50, o, () => 1)).toBe(34_500);
  });
});

describe('syncOptionsSchema', () => {
  it('names the bad field and what was expected', () => {
    const r = syncOptionsSchema.safeParse({ brokerUrl: 'http://x', storeId: 'a/b', terminalId: 't1' });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['brokerUrl', 'storeId']));
    expect(r.error!.issues.find((i) => i.path[0] === 'storeId')!.message).toMatch(/one MQTT topic level/);
  });
  it('fills defaults', () => {
    const o = syncOptionsSchema.parse({ brokerUrl: 'mqtt://h', storeId: 's', terminalId: 't' });
    expect(o.drain.maxInFlightBatches).toBe(24);
    expect(o.protocol).toBe('auto');
  });
});

const ref = (id: string, kind: 'snapshot' | 'delta', version: number, from?: number): ReleaseRef => ({
  id,
  kind,
  version,
  ...(from !== undefined ? { from } : {}),
  files: [{ name: 'f', size: 1, sha256: '0'.repeat(64), chunkSize: 1, chunks: ['0'.repeat(64)] }],
});

describe('planUpdate', () => {
  const ann: Announcement = {
    v: 1,
    scope: 's',
    version: 7,
    publishedAt: '',
    snapshot: ref('snapshot-5', 'snapshot', 5),
    deltas: [
      ref('delta-4-5', 'delta', 5, 4),
      ref('delta-5-6', 'delta', 6, 5),
      ref('delta-6-7', 'delta', 7, 6),
    ],
  };
  it('takes the delta chain when one leads from the local version', () => {
    expect(planUpdate(ann, 4)!.map((r) => r.id)).toEqual(['delta-4-5', 'delta-5-6', 'delta-6-7']);
  });
  it('falls back to the snapshot plus the deltas after it', () => {
    expect(planUpdate(ann, undefined)!.map((r) => r.id)).toEqual(['snapshot-5', 'delta-5-6', 'delta-6-7']);
    expect(planUpdate(ann, 2)!.map((r) => r.id)).toEqual(['snapshot-5', 'delta-5-6', 'delta-6-7']);
  });
  it('takes no snapshot that is not newer than the installed version (the registry refuses a rollback)', () => {
    const skipping = { ...ann, deltas: [ref('delta-5-7', 'delta', 7, 5)] };
    expect(planUpdate(skipping, 4)!.map((r) => r.id)).toEqual(['snapshot-5', 'delta-5-7']);
    expect(planUpdate(skipping, 6)).toBeUndefined();
  });
  it('does nothing when up to date and reports no path when there is none', () => {
    expect(planUpdate(ann, 7)).toEqual([]);
    expect(
      planUpdate({ ...ann, snapshot: undefined, deltas: [] } as unknown as Announcement, 1),
    ).toBeUndefined();
  });
});

describe('response frames', () => {
  it('round-trips header and binary body; refuses broken frames', () => {
    const body = Buffer.from([0, 1, 2, 255]);
    const frame = decodeFrame(encodeFrame({ correlation: 'c1', status: 'ok' }, body));
    expect(frame.header).toEqual({ correlation: 'c1', status: 'ok' });
    expect(frame.body.equals(body)).toBe(true);
    expect(() => decodeFrame(Buffer.from([0, 0]))).toThrow(/shorter/);
    expect(() => decodeFrame(Buffer.from([0, 0, 0x10, 0, 1]))).toThrow(/out of range/);
  });
});

describe('checkCommand', () => {
  const tmp = makeTempDir('vt-sync-unit-');
  afterEach(() => undefined);
  const key = generateKeyPairSync('ed25519');
  const now = Date.parse('2026-01-01T12:00:00Z');
  const base = {
    v: 1 as const,
    id: 'cmd-00000001',
    name: 'rebirth' as const,
    args: {},
    target: { storeId: 's1', terminalId: 't1' },
    issuedAt: '2026-01-01T11:59:00.000Z',
    expiresAt: '2026-01-01T12:01:00.000Z',
  };
  const ctx = (store: SyncStore) => ({
    keys: [key.publicKey],
    storeId: 's1',
    terminalId: 't1',
    maxClockSkewMs: 1000,
    store,
    nowMs: now,
  });

  it('accepts a good command once, also across a restart (persisted nonce)', () => {
    const file = join(tmp.dir, 'a.db');
    const cmd = signCommand(base, key.privateKey);
    expect(checkCommand(cmd, ctx(new SyncStore(openDatabase(file)))).ok).toBe(true);
    const reopened = new SyncStore(openDatabase(file));
    expect(checkCommand(cmd, ctx(reopened))).toMatchObject({ ok: false, code: 'replayed' });
  });

  it('refuses each kind of bad command with its code', () => {
    const store = new SyncStore(openDatabase(join(tmp.dir, 'b.db')));
    const other = generateKeyPairSync('ed25519');
    const cases: [unknown, string][] = [
      [{ ...base }, 'unsigned'],
      [{ ...signCommand(base, key.privateKey), name: 'format_disk' }, 'malformed'],
      [signCommand({ ...base, id: 'cmd-00000002' }, other.privateKey), 'bad_signature'],
      [
        { ...signCommand({ ...base, id: 'cmd-00000003' }, key.privateKey), args: { evil: true } },
        'bad_signature',
      ],
      [
        signCommand(
          { ...base, id: 'cmd-00000004', target: { storeId: 's2', terminalId: 't1' } },
          key.privateKey,
        ),
        'wrong_target',
      ],
      [
        signCommand({ ...base, id: 'cmd-00000005', expiresAt: '2026-01-01T11:59:30.000Z' }, key.privateKey),
        'expired',
      ],
      [
        signCommand({ ...base, id: 'cmd-00000006', issuedAt: '2026-01-01T13:00:00.000Z' }, key.privateKey),
        'not_yet_valid',
      ],
      ['just a string', 'malformed'],
    ];
    for (const [raw, code] of cases)
      expect(checkCommand(raw, ctx(store)), code).toMatchObject({ ok: false, code });
  });
});

function fakeOutbox(n: number): OutboxReader & { acked: number } {
  const records: LedgerRecord[] = Array.from({ length: n }, (_, i) => ({
    id: `r${i + 1}`,
    seq: i + 1,
    type: 'receipt_printed',
    at: '2026-01-01T00:00:00.000Z',
    storeId: 's1',
    terminalId: 't1',
    payload: { pad: 'x'.repeat(100) },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    signature: 'c2ln',
  }));
  const box = {
    acked: 0,
    pending: (after: number, limit: number) =>
      records.filter((r) => r.seq > Math.max(after, box.acked)).slice(0, limit),
    acknowledge: (seq: number) => {
      box.acked = seq;
    },
    stats: () => ({ pending: n - box.acked, lastAckedSeq: box.acked }),
  };
  return box;
}

/** Lets the drain read, compress (thread pool) and publish. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
};

const drainOptionsForWindow = {
  maxBatchBytes: 2048,
  maxBatchRecords: 1000,
  maxInFlightBatches: 3,
  ackTimeoutMs: 60_000,
  ackPersistMs: 0,
  pollIntervalMs: 100,
  compress: false,
  compressBelowBytesPerSecond: 4_000_000,
  maxRecordsPerSecond: 0,
  storeId: 's1',
  terminalId: 't1',
};

describe('OutboxDrain', () => {
  const drainOptions = {
    maxBatchBytes: 2048,
    maxBatchRecords: 1000,
    maxInFlightBatches: 3,
    ackTimeoutMs: 1000,
    ackPersistMs: 0,
    pollIntervalMs: 100,
    compress: true,
    compressBelowBytesPerSecond: 4_000_000,
    maxRecordsPerSecond: 0,
    storeId: 's1',
    terminalId: 't1',
  };
  it('sends size-capped batches in order, at most the window, and resends from the last ack after a timeout', async () => {
    const box = fakeOutbox(100);
    const sent: { seqs: number[]; batchId: string }[] = [];
    let clock = 0;
    const drain = new OutboxDrain(
      {
        outbox: box,
        logger: silentLogger(),
        isConnected: () => true,
        now: () => clock,
        publish: async (payload) => {
          const batch = JSON.parse(inflateSync(payload).toString()) as {
            v: number;
            batchId: string;
            firstSeq: number;
            ids: string[];
          };
          expect(payload.length).toBeLessThan(2048);
          expect(batch.v).toBe(2);
          sent.push({ batchId: batch.batchId, seqs: batch.ids.map((_, i) => batch.firstSeq + i) });
        },
      },
      drainOptions,
    );
    drain.linkUp();
    // Batches are deflated on the thread pool: wait for them, however loaded the machine is.
    await expect.poll(() => sent.length).toBe(3); // window
    await flush();
    expect(sent).toHaveLength(3);
    expect(sent.flatMap((b) => b.seqs)).toEqual(
      Array.from({ length: sent.flatMap((b) => b.seqs).length }, (_, i) => i + 1),
    );
    const firstBatch = sent[0]!;
    drain.onAck(firstBatch.seqs.at(-1)!);
    await expect.poll(() => sent.length).toBe(4);
    expect(box.acked).toBe(firstBatch.seqs.at(-1));
    // Upstream goes silent: after the timeout everything unacknowledged is resent, same batch ids.
    clock += 1001;
    drain.checkTimeout();
    await expect.poll(() => sent.length).toBeGreaterThan(4);
    expect(sent[4]!.batchId).toBe(sent[1]!.batchId);
    expect(sent[4]!.seqs[0]).toBe(firstBatch.seqs.at(-1)! + 1);
  });
});

describe("OutboxDrain and the broker's Receive Maximum", () => {
  it('keeps at most publishWindow() batches awaiting PUBACK, however large the end-to-end window', async () => {
    const box = fakeOutbox(100);
    const awaiting: (() => void)[] = [];
    let published = 0;
    let onPublish: (() => void) | undefined;
    /** Resolves once `n` batches have been published in all. */
    const publishedReach = (n: number) =>
      new Promise<void>((resolve) => {
        onPublish = () => {
          if (published >= n) resolve();
        };
        onPublish();
      });
    /** One macrotask later: a pump that ignored the window would have published everything by then. */
    const settle = () => new Promise((r) => setImmediate(r));
    const drain = new OutboxDrain(
      {
        outbox: box,
        logger: silentLogger(),
        isConnected: () => true,
        publishWindow: () => 2,
        publish: () =>
          new Promise<void>((resolve) => {
            published++;
            awaiting.push(resolve);
            onPublish?.();
          }),
      },
      { ...drainOptionsForWindow, maxInFlightBatches: 10 },
    );
    drain.linkUp();
    await publishedReach(2);
    await settle();
    expect(published).toBe(2);
    awaiting.shift()!(); // the broker's PUBACK for the first batch
    await publishedReach(3);
    await settle();
    expect(published).toBe(3);
    // PUBACKs free the publish window; upstream's acks (none yet) bound the end-to-end window.
    while (published < 10) {
      awaiting.shift()!();
      await publishedReach(published + 1);
    }
    for (const puback of awaiting.splice(0)) puback();
    await settle();
    expect(published).toBe(10);
  });

  it('a publish lost across a reconnect does not hold the window shut', async () => {
    const box = fakeOutbox(20);
    const firstSeqs: number[] = [];
    let onPublish: (() => void) | undefined;
    const publishes = (n: number) =>
      new Promise<void>((resolve) => {
        onPublish = () => {
          if (firstSeqs.length >= n) resolve();
        };
        onPublish();
      });
    const drain = new OutboxDrain(
      {
        outbox: box,
        logger: silentLogger(),
        isConnected: () => true,
        publishWindow: () => 1,
        // Never PUBACKed: as when the link dropped under it and mqtt.js keeps it pending.
        publish: (payload) =>
          new Promise<void>(() => {
            firstSeqs.push((JSON.parse(payload.toString()) as { firstSeq: number }).firstSeq);
            onPublish?.();
          }),
      },
      { ...drainOptionsForWindow, maxInFlightBatches: 10 },
    );
    drain.linkUp();
    await publishes(1);
    drain.linkDown(); // the link drops and comes back
    drain.linkUp();
    await publishes(2);
    expect(firstSeqs).toEqual([1, 1]); // resent from the last ack, past the pending publish
  });
});

describe('OutboxDrain across a reconnect', () => {
  it('sends nothing between the socket coming back and linkUp, then resends from the last ack', async () => {
    // The store-day failure (CI, seed 153700059): batch 3 died with the old connection; a sale's
    // kick after CONNACK but before the link's 'connect' pumped batch 4 from the stale cursor, and
    // upstream saw seq 4 ahead of 3 (a gap alert).
    const box = fakeOutbox(40);
    const firstSeqs: number[] = [];
    let socketUp = true;
    const drain = new OutboxDrain(
      {
        outbox: box,
        logger: silentLogger(),
        isConnected: () => socketUp,
        publish: async (payload) => {
          firstSeqs.push((JSON.parse(payload.toString()) as { firstSeq: number }).firstSeq);
        },
      },
      { ...drainOptionsForWindow, maxBatchBytes: 1_000_000, maxBatchRecords: 10, maxInFlightBatches: 2 },
    );
    drain.kick(); // before the first linkUp: not connected as far as the drain knows
    await flush();
    expect(firstSeqs).toEqual([]);
    drain.linkUp();
    await expect.poll(() => firstSeqs.length).toBe(2);
    drain.onAck(10); // upstream holds 1-10; batch 11-20 is lost with the connection
    await expect.poll(() => firstSeqs.length).toBe(3);
    expect(firstSeqs).toEqual([1, 11, 21]);
    socketUp = false;
    drain.linkDown();
    socketUp = true; // CONNACK: the socket is back, subscriptions not yet granted
    drain.kick(); // a sale
    await flush();
    expect(firstSeqs).toEqual([1, 11, 21]);
    drain.linkUp();
    await expect.poll(() => firstSeqs.length).toBe(5);
    expect(firstSeqs.slice(3)).toEqual([11, 21]);
  });
});

describe('OutboxDrain told of a gap', () => {
  it("resends from upstream's ack at once, without waiting for the ack timeout", async () => {
    const box = fakeOutbox(30);
    const firstSeqs: number[] = [];
    const drain = new OutboxDrain(
      {
        outbox: box,
        logger: silentLogger(),
        isConnected: () => true,
        now: () => 0, // the clock never moves: no ack timeout can fire
        publish: async (payload) => {
          firstSeqs.push((JSON.parse(payload.toString()) as { firstSeq: number }).firstSeq);
        },
      },
      { ...drainOptionsForWindow, maxBatchBytes: 1_000_000, maxBatchRecords: 10, maxInFlightBatches: 3 },
    );
    drain.linkUp();
    await expect.poll(() => firstSeqs.length).toBe(3);
    drain.onAck(10); // 1-10 arrived
    // 11-20 was lost; 21-30 arrived ahead of it
    expect(drain.onAck(10, { code: 'gap', seq: 21 })).toBe(true);
    await expect.poll(() => firstSeqs.length).toBe(5);
    expect(firstSeqs).toEqual([1, 11, 21, 11, 21]);
    expect(drain.problem).toEqual({ code: 'gap', seq: 21 });
    drain.onAck(30);
    expect(drain.problem).toBeUndefined();
    expect(box.acked).toBe(30);
  });
});

describe('OutboxDrain compress: auto', () => {
  /**
   * Drains 60 records in small batches over a simulated link that moves `bytesPerMs`, one batch
   * after the other: the fake clock jumps to each batch's PUBACK, upstream acks it at once.
   * Returns, per batch, whether it was deflated.
   */
  const run = async (bytesPerMs: number): Promise<boolean[]> => {
    const box = fakeOutbox(60);
    const deflated: boolean[] = [];
    const wire: { doneMs: number; lastSeq: number; resolve: () => void }[] = [];
    let clock = 0;
    let linkFreeMs = 0;
    const deliver = () => {
      const next = wire.shift();
      if (!next) return;
      clock = next.doneMs;
      next.resolve();
      setImmediate(() => drain.onAck(next.lastSeq));
    };
    const drain: OutboxDrain = new OutboxDrain(
      {
        outbox: box,
        logger: silentLogger(),
        isConnected: () => true,
        now: () => clock,
        publish: (payload) =>
          new Promise<void>((resolve) => {
            deflated.push(payload[0] === 0x78);
            const body = JSON.parse((payload[0] === 0x78 ? inflateSync(payload) : payload).toString()) as {
              firstSeq: number;
              ids: string[];
            };
            linkFreeMs = Math.max(linkFreeMs, clock) + payload.length / bytesPerMs;
            wire.push({ doneMs: linkFreeMs, lastSeq: body.firstSeq + body.ids.length - 1, resolve });
            setImmediate(deliver);
          }),
      },
      {
        maxBatchBytes: 2048,
        maxBatchRecords: 1000,
        maxInFlightBatches: 4,
        ackTimeoutMs: 600_000,
        ackPersistMs: 0,
        pollIntervalMs: 100,
        compress: 'auto',
        compressBelowBytesPerSecond: 4_000_000,
        maxRecordsPerSecond: 0,
        storeId: 's1',
        terminalId: 't1',
      },
    );
    drain.linkUp();
    for (let i = 0; i < 500 && box.acked < 60; i++) await new Promise((r) => setTimeout(r, 2));
    expect(box.acked).toBe(60);
    return deflated;
  };

  it('deflates on a slow link and stops deflating once the link is measured fast', async () => {
    const slow = await run(1000); // 1 MB/s: a store's uplink
    expect(slow.length).toBeGreaterThan(6);
    expect(slow.every(Boolean)).toBe(true);
    const fast = await run(100_000); // 100 MB/s: a broker on the same host
    expect(fast.slice(0, 4).every(Boolean)).toBe(true); // nothing measured yet: deflated
    expect(fast.slice(6).some(Boolean)).toBe(false);
  });
});

describe('parseRecordBatch', () => {
  const record = {
    id: '01J0000000000000000000000',
    seq: 1,
    type: 'write_off',
    at: '2026-01-01T00:00:00.000Z',
    storeId: 's1',
    terminalId: 't1',
    payload: { codeKey: 'k' },
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
    signature: 'c2ln',
  };
  const batch = { v: 1, batchId: 't1:1-1', storeId: 's1', terminalId: 't1', records: [record] };
  it('accepts what recordBatchSchema accepts', () => {
    expect(parseRecordBatch(batch).ok).toBe(true);
    expect(recordBatchSchema.safeParse(batch).success).toBe(true);
  });
  it('names the first bad field, as the schema refuses it too', () => {
    const bad: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ ...batch, v: 3 }, /^v: record batch version 3 is not supported/],
      [{ ...batch, records: [] }, /records/],
      [{ ...batch, records: [{ ...record, seq: 0 }] }, /records\[0\]\.seq/],
      [{ ...batch, records: [{ ...record, type: 'refund' }] }, /type/],
      [{ ...batch, records: [{ ...record, hash: 'XYZ' }] }, /hash/],
      [{ ...batch, records: [{ ...record, payload: [1] }] }, /payload/],
      [{ ...batch, records: [record, { ...record, prevHash: 1 }] }, /records\[1\]\.prevHash/],
    ];
    for (const [input, message] of bad) {
      const r = parseRecordBatch(input);
      expect(r.ok).toBe(false);
      expect((r as { error: string }).error).toMatch(message);
      expect(recordBatchSchema.safeParse(input).success).toBe(false);
    }
  });
  const compact = {
    v: 2,
    batchId: 't1:7-8',
    storeId: 's1',
    terminalId: 't1',
    firstSeq: 7,
    prevHash: 'b'.repeat(64),
    ids: ['01J0000000000000000000000', '01J0000000000000000000001'],
    types: ['write_off', 'sale'],
    ats: ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'],
    payloads: [{ codeKey: 'k' }, {}],
    sigs: ['c2ln', 'c2ln'],
  };
  it('accepts a version 2 (columnar) batch as compactBatchSchema does, and names what is wrong', () => {
    expect(parseRecordBatch(compact)).toMatchObject({ ok: true, batch: { v: 2 } });
    expect(compactBatchSchema.safeParse(compact).success).toBe(true);
    const bad: [unknown, RegExp][] = [
      [{ ...compact, firstSeq: 0 }, /firstSeq/],
      [{ ...compact, prevHash: 'XYZ' }, /prevHash/],
      [{ ...compact, ids: [] }, /ids/],
      [{ ...compact, sigs: ['c2ln'] }, /sigs: expected an array of 2/],
      [{ ...compact, types: ['write_off', 'refund'] }, /types\[1\]/],
      [{ ...compact, payloads: [{}, [1]] }, /payloads\[1\]/],
      [{ ...compact, ats: ['', 'x'] }, /ats\[0\]/],
    ];
    for (const [input, message] of bad) {
      const r = parseRecordBatch(input);
      expect(r.ok).toBe(false);
      expect((r as { error: string }).error).toMatch(message);
      expect(compactBatchSchema.safeParse(input).success).toBe(false);
    }
  });
});
