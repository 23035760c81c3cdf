import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../terminal/ledger/types.js';
import { silentLogger } from '../../terminal/logger.js';
import type { CompactBatch } from '../../terminal/sync/protocol.js';
import { recordsFromCompact } from '../../upstream/record-verify.js';
import { revokeInDataDir } from '../../upstream/revocation.js';
import type { IngestStorage, UpstreamStorage } from '../../upstream/storage/contract.js';
import type { IngestBatch } from '../../upstream/storage/ingest-types.js';
import { PostgresUpstreamStorage } from '../../upstream/storage/postgres/pg-storage.js';
import { PUBLISHER_LOCK } from '../../upstream/storage/postgres/publisher-lease.js';
import { SqliteUpstreamStorage } from '../../upstream/storage/sqlite/sqlite-storage.js';
import { receiptPrinted } from '../helpers/ledger-payloads.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CHUNK_BYTES, releaseCases } from './upstream-releases.cases.js';

/**
 * One contract for every upstream storage engine (upstream/storage/contract.ts): the SQLite file of
 * the embedded upstream and PostgreSQL for chains. Both must store a terminal's records once, in
 * chain order, detect gaps, forks, broken links and forged signatures the same way, raise the same
 * alerts, and keep enrolment codes, revocations and the publisher lease. The PostgreSQL half runs
 * on the machine's server in a database of its own (test/helpers/postgres.ts), dropped at the end.
 */
interface Engine {
  /** A storage with nothing in it. */
  fresh(signatureCheck?: 'batch-tip' | 'every'): Promise<UpstreamStorage>;
  /** A second storage on the same data (another worker), or undefined when the engine has none. */
  sibling?(of: UpstreamStorage): Promise<UpstreamStorage>;
}

const tmp = makeTempDir('vt-storage-contract-');
const keys = generateKeyPairSync('ed25519');
const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const identity = identityFromPrivateKey(keys.privateKey);

/** A terminal's signed chain: receipts, two sales written off, a return of the first, a recovery alert. */
function chain(terminalId: string, receipts = 20): LedgerRecord[] {
  const ledger = new Ledger({
    file: join(tmp.dir, `${terminalId}-${Math.random()}.db`),
    identity,
    storeId: 's1',
    terminalId,
  });
  ledger.transaction(() => {
    for (let i = 0; i < receipts; i++) ledger.append('receipt_printed', receiptPrinted(i));
  });
  const sold = ledger.append('write_off', { codeKey: 'CODE-1', saleId: 'sale-1', line: 0 });
  ledger.append('write_off', { codeKey: 'CODE-2', saleId: 'sale-2', line: 0 });
  ledger.append('return', {
    approvedBy: 'm1',
    lines: [{ codeKey: 'CODE-1', saleId: 'sale-1', writeOffId: sold.id, writeOffSeq: sold.seq }],
  });
  ledger.append('alert', { kind: 'ledger_recovered', base: { seq: 3 }, restoredWriteOffs: 1 } as never);
  const records = ledger.pending(0, 1000);
  ledger.close();
  return records;
}

const records = chain('t1');
const batch = (rs: readonly LedgerRecord[], terminalId = 't1'): IngestBatch => ({
  storeId: 's1',
  terminalId,
  records: rs,
});
const forge = (r: LedgerRecord, change: Partial<LedgerRecord>) => ({ ...r, ...change }) as LedgerRecord;

/** A record as ingest accepted it, for the delivery listing (which reads type, id, seq, at, payload only). */
const accepted = (id: string, seq: number, type: LedgerRecord['type'], payload: unknown, at: string) =>
  ({
    id,
    seq,
    type,
    payload,
    at,
    storeId: 's1',
    terminalId: 't1',
    prevHash: '',
    hash: '',
    signature: '',
  }) as LedgerRecord;
const goodsReceipt = (deliveryId: string, outcome: 'complete' | 'partial' = 'complete') => ({
  deliveryId,
  supplierId: 'SUP-1',
  outcome,
  ...(outcome === 'partial' ? { reason: 'one case short' } : {}),
  expectedUnits: 3,
  containers: [],
  units: { '6900001': ['0000000010000', '0000000010001'] },
  missing: { containers: [], units: {} },
  exceptions: [{ key: '69000010000000019999', reason: 'foreign' }],
});
const sentNote = (id: string, storeId: string, deliveryId: string, sentAt: string) => ({
  id,
  deliveryId,
  storeId,
  terminalId: 't1',
  units: 3,
  sentAt,
  expiresAt: '2026-12-14T10:00:00.000Z',
});
const transferNote = (recordId: string, toStore: string, createdAt: string) => ({
  recordId,
  deliveryId: `TR-${recordId}`,
  fromStore: 's1',
  fromTerminal: 't1',
  toStore,
  units: 2,
  body: JSON.stringify({ deliveryId: `TR-${recordId}` }),
  createdAt,
});
const kinds = async (s: IngestStorage) => (await s.alerts()).map((a) => [a.kind, a.seq]);

let sqliteFiles = 0;
const sqlite: Engine = {
  async fresh(signatureCheck) {
    const n = sqliteFiles++;
    return new SqliteUpstreamStorage(openDatabase(join(tmp.dir, `up-${n}.db`)), {
      closeDb: true,
      releasesDir: join(tmp.dir, `releases-${n}`),
      chunkBytes: CHUNK_BYTES,
      ...(signatureCheck ? { signatureCheck } : {}),
    });
  },
};

const pgUp = await hasPostgres();
let database: TestDatabase | undefined;
const opened: PostgresUpstreamStorage[] = [];
const postgres: Engine = {
  async fresh(signatureCheck) {
    const storage = await PostgresUpstreamStorage.open({
      url: database!.url,
      logger: silentLogger(),
      ...(signatureCheck ? { signatureCheck } : {}),
      releases: { chunkBytes: CHUNK_BYTES },
    });
    opened.push(storage);
    await storage.pool.query(
      `TRUNCATE up_terminals, up_records, up_alerts, up_unit_events, up_revoke_nonces, enrol_codes, enrolled_terminals,
         enf_alerts, enf_unit_sales, up_delivery_notes, up_delivery_receipts, up_diversion_alerts, up_transfer_notes,
         up_releases, up_release_heads, up_release_chunks
       RESTART IDENTITY`,
    );
    return storage;
  },
  async sibling() {
    const storage = await PostgresUpstreamStorage.open({
      url: database!.url,
      logger: silentLogger(),
      releases: { chunkBytes: CHUNK_BYTES },
    });
    opened.push(storage);
    return storage;
  },
};

beforeAll(async () => {
  if (pgUp) database = await createTestDatabase('vt_storage_contract');
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await database?.drop();
  tmp.cleanup();
});

const ENGINES: [string, Engine, boolean][] = [
  ['sqlite', sqlite, true],
  ['postgres', postgres, pgUp],
];

describe.each(ENGINES)('upstream storage contract: %s', (_name, engine, available) => {
  const run = available ? it : it.skip;
  const enrolled = async (signatureCheck?: 'batch-tip' | 'every') => {
    const storage = await engine.fresh(signatureCheck);
    await storage.ingest.enrol('s1', 't1', pem);
    return storage;
  };

  run(
    'stores in order once; a resend counts as duplicates; write-offs and returns become unit events',
    async () => {
      const { ingest } = await enrolled();
      expect(await ingest.ingest([batch(records.slice(0, 10))])).toMatchObject([
        { ackSeq: 10, duplicates: 0, unitEvents: 0 },
      ]);
      const [again] = await ingest.ingest([batch(records.slice(5))]);
      expect(again).toMatchObject({ ackSeq: records.length, duplicates: 5, unitEvents: 3 });
      expect(again!.accepted.map((r) => r.seq)).toEqual(records.slice(10).map((r) => r.seq));
      expect(await ingest.sequences('s1', 't1')).toEqual(records.map((r) => r.seq));
      expect(await ingest.lastSeq('s1', 't1')).toBe(records.length);
      const events = await ingest.unpublishedUnitEvents();
      expect(events.map((e) => [e.key, e.status])).toEqual([
        ['CODE-1', 'sold'],
        ['CODE-2', 'sold'],
        ['CODE-1', 'active'],
      ]);
      expect(events[0]).toMatchObject({ storeId: 's1', terminalId: 't1', at: records[20]!.at });
      await ingest.markPublished([events[0]!.id], 7);
      expect((await ingest.unpublishedUnitEvents()).map((e) => e.key)).toEqual(['CODE-2', 'CODE-1']);
      expect(await ingest.unpublishedUnitEvents(1)).toHaveLength(1);
      // The rebuilt ledger's first record raises its own alert; nothing else was wrong.
      expect(await kinds(ingest)).toEqual([['ledger_recovered', records.length]]);
      expect((await ingest.alerts())[0]!.message).toMatch(/continues after seq 3 \(1 write-offs restored\)/);
    },
  );

  run('stops at a gap with an alert and acknowledges only the contiguous part', async () => {
    const { ingest } = await enrolled();
    const [r] = await ingest.ingest([batch([...records.slice(0, 3), ...records.slice(5, 8)])]);
    expect(r).toMatchObject({ ackSeq: 3, problem: { code: 'gap', seq: 6 } });
    // The same gap resent raises no second alert (one per store, terminal, kind and seq).
    await ingest.ingest([batch(records.slice(5, 8))]);
    expect(await kinds(ingest)).toEqual([['gap', 6]]);
    expect(await ingest.sequences('s1', 't1')).toEqual([1, 2, 3]);
  });

  run(
    'a batch that starts beyond the tip is held when it asks to be (another worker holds its predecessor)',
    async () => {
      const { ingest } = await enrolled();
      await ingest.ingest([batch(records.slice(0, 3))]);
      const early = { ...batch(records.slice(5, 8)), holdIfEarly: true };
      expect(await ingest.ingest([early])).toEqual([
        { ackSeq: 3, accepted: [], duplicates: 0, unitEvents: 0, held: true },
      ]);
      expect(await kinds(ingest)).toEqual([]);
      // Its predecessor arrives (through the other worker): the held batch now follows on.
      await ingest.ingest([batch(records.slice(3, 5))]);
      expect(await ingest.ingest([early])).toMatchObject([{ ackSeq: 8, duplicates: 0 }]);
      // Past its grace time it goes in without the flag: a real gap is alerted as always.
      expect(await ingest.ingest([batch(records.slice(10, 12))])).toMatchObject([
        { ackSeq: 8, problem: { code: 'gap', seq: 11 } },
      ]);
      // Only a gap at the start is held: resends, a foreign record or a bad record are not.
      const resent = { ...batch(records.slice(2, 9)), holdIfEarly: true };
      expect((await ingest.ingest([resent]))[0]).toMatchObject({ ackSeq: 9, duplicates: 6 });
      expect(await kinds(ingest)).toEqual([['gap', 11]]);
    },
  );

  for (const mode of ['batch-tip', 'every'] as const) {
    run(
      `finds a forged signature in the middle of a batch (${mode}) and keeps what precedes it`,
      async () => {
        const { ingest } = await enrolled(mode);
        const forged = records.slice(0, 8).map((r) => ({ ...r }));
        forged[4] = forge(forged[4]!, { signature: Buffer.alloc(64, 1).toString('base64') });
        forged[7] = forge(forged[7]!, { signature: Buffer.alloc(64, 2).toString('base64') });
        expect(await ingest.ingest([batch(forged)])).toMatchObject([
          { ackSeq: 4, problem: { code: 'bad_signature', seq: 5 } },
        ]);
        expect(await kinds(ingest)).toEqual([['bad_signature', 5]]);
      },
    );
  }

  run(
    'refuses altered content and a broken link; a resend that differs from the stored record is a fork',
    async () => {
      const { ingest } = await enrolled();
      expect(
        (await ingest.ingest([batch([forge(records[0]!, { payload: { i: 999 } })])]))[0]!.problem?.code,
      ).toBe('bad_hash');
      await ingest.ingest([batch(records.slice(0, 2))]);
      await ingest.ingest([batch([forge(records[1]!, { hash: 'f'.repeat(64) })])]);
      const unlinked = forge(records[2]!, { prevHash: '0'.repeat(64) });
      expect((await ingest.ingest([batch([unlinked])]))[0]!.problem?.code).toMatch(/bad_hash|bad_chain/);
      expect((await kinds(ingest)).slice(0, 2)).toEqual([
        ['bad_hash', 1],
        ['conflict', 2],
      ]);
      expect(await ingest.sequences('s1', 't1')).toEqual([1, 2]);
    },
  );

  run('refuses an unknown terminal and records naming another terminal than their batch', async () => {
    const { ingest } = await enrolled();
    expect(await ingest.ingest([batch(records.slice(0, 1), 't9')])).toMatchObject([
      { ackSeq: 0, problem: { code: 'unknown_terminal' } },
    ]);
    await ingest.enrol('s1', 't8', pem);
    expect(await ingest.ingest([batch(records.slice(0, 1), 't8')])).toMatchObject([
      { ackSeq: 0, problem: { code: 'wrong_terminal' } },
    ]);
    expect((await ingest.alerts()).map((a) => [a.terminalId, a.kind])).toEqual([
      ['t9', 'unknown_terminal'],
      ['t8', 'wrong_terminal'],
    ]);
    await expect(ingest.enrol('s1', 't7', 'not a key')).rejects.toThrow();
  });

  run(
    'several batches in one call: later ones build on earlier ones, a differing resend among them is a fork',
    async () => {
      const { ingest } = await enrolled();
      const other = chain('t2', 3);
      await ingest.enrol('s1', 't2', pem);
      const results = await ingest.ingest([
        batch(records.slice(0, 4)),
        batch(other.slice(0, 2), 't2'),
        batch(records.slice(4, 9)),
        batch([forge(records[6]!, { hash: 'a'.repeat(64) })]),
        batch(other.slice(2), 't2'),
      ]);
      expect(results.map((r) => r.ackSeq)).toEqual([4, 2, 9, 9, other.length]);
      expect(results[3]).toMatchObject({ duplicates: 1, accepted: [] });
      expect(await kinds(ingest)).toEqual([
        ['conflict', 7],
        ['ledger_recovered', other.length],
      ]);
      expect(await ingest.sequences('s1', 't2')).toEqual(other.map((r) => r.seq));
    },
  );

  run(
    'version 2 (columnar) batches: derived records stored once; an altered payload fails its signature',
    async () => {
      const { ingest } = await enrolled();
      const compact = (rs: readonly LedgerRecord[]): CompactBatch => ({
        v: 2,
        batchId: `t1:${rs[0]!.seq}`,
        storeId: 's1',
        terminalId: 't1',
        firstSeq: rs[0]!.seq,
        prevHash: rs[0]!.prevHash,
        ids: rs.map((r) => r.id),
        types: rs.map((r) => r.type),
        ats: rs.map((r) => r.at),
        payloads: rs.map((r) => r.payload),
        sigs: rs.map((r) => r.signature),
      });
      const v2 = (b: CompactBatch): IngestBatch => ({
        storeId: 's1',
        terminalId: 't1',
        ...recordsFromCompact(b),
      });
      expect(await ingest.ingest([v2(compact(records.slice(0, 10)))])).toMatchObject([{ ackSeq: 10 }]);
      const altered = compact(records.slice(10, 15));
      altered.payloads[2] = { saleId: 'other' };
      expect(await ingest.ingest([v2(altered)])).toMatchObject([
        { ackSeq: 12, problem: { code: 'bad_signature', seq: 13 } },
      ]);
      expect(await ingest.sequences('s1', 't1')).toEqual(records.slice(0, 12).map((r) => r.seq));
    },
  );

  run(
    'revocation: records refused with one alert per batch, stored ones kept; reinstating lifts it',
    async () => {
      const { ingest } = await enrolled();
      await ingest.ingest([batch(records.slice(0, 5))]);
      expect(await ingest.revoke('s1', 't9')).toBe(false);
      expect(await ingest.revoke('s1', 't1', new Date('2026-12-07T10:00:00Z'))).toBe(true);
      expect(await ingest.revoke('s1', 't1', new Date('2026-12-07T11:00:00Z'))).toBe(true);
      expect(await ingest.enrolment('s1', 't1')).toEqual({
        publicKey: pem,
        revokedAt: '2026-12-07T10:00:00.000Z',
      });
      expect(await ingest.revokedTerminals()).toEqual([
        { storeId: 's1', terminalId: 't1', revokedAt: '2026-12-07T10:00:00.000Z' },
      ]);
      for (let i = 0; i < 2; i++)
        expect(await ingest.ingest([batch(records.slice(5, 8))])).toMatchObject([
          { ackSeq: 5, accepted: [], problem: { code: 'revoked_terminal', seq: 6 } },
        ]);
      expect(await kinds(ingest)).toEqual([['revoked_terminal', 6]]);
      expect(await ingest.sequences('s1', 't1')).toEqual([1, 2, 3, 4, 5]);
      await ingest.reinstate('s1', 't1');
      expect(await ingest.revokedTerminals()).toEqual([]);
      expect(await ingest.ingest([batch(records.slice(5, 8))])).toMatchObject([{ ackSeq: 8 }]);
      expect(await ingest.rememberRevocationNonce('n1', 's1', 't1', new Date())).toBe(true);
      expect(await ingest.rememberRevocationNonce('n1', 's1', 't1', new Date())).toBe(false);
    },
  );

  run(
    'ledger recovery answers: the tip with the enrolled key, and write-offs no return took back',
    async () => {
      const { ingest } = await enrolled();
      expect(await ingest.ledgerTip('s1', 't9')).toBeUndefined();
      await ingest.ingest([batch(records)]);
      expect(await ingest.ledgerTip('s1', 't1')).toEqual({
        seq: records.length,
        hash: records.at(-1)!.hash,
        publicKey: pem,
      });
      const page = await ingest.activeWriteOffs('s1', 't1', 0, 10);
      expect(page).toEqual({
        writeOffs: [
          { seq: 22, id: records[21]!.id, codeKey: 'CODE-2', saleId: 'sale-2', at: records[21]!.at },
        ],
        next: null,
      });
      expect((await ingest.activeWriteOffs('s1', 't1', 0, 1)).next).toBe(21);
    },
  );

  run(
    'enrolment codes: one open code per terminal, single use, failures counted; enrolled terminals kept',
    async () => {
      const { enrolment } = await engine.fresh();
      const now = new Date('2026-12-07T12:00:00Z');
      const first = await enrolment.issue({
        code: 'AAAAA-11111',
        storeId: 's1',
        terminalId: 't1',
        scope: 'cn',
        ttlMs: 60_000,
        now,
      });
      expect(first).toMatchObject({
        storeId: 's1',
        terminalId: 't1',
        scope: 'cn',
        usedAt: null,
        failures: 0,
        expiresAt: '2026-12-07T12:01:00.000Z',
      });
      const second = await enrolment.issue({
        code: 'BBBBB-22222',
        storeId: 's1',
        terminalId: 't1',
        scope: 'cn',
        ttlMs: 60_000,
        now,
      });
      expect((await enrolment.latest('s1', 't1'))?.code).toBe('BBBBB-22222');
      expect(await enrolment.fail(second.id)).toBe(1);
      expect(await enrolment.fail(second.id)).toBe(2);
      expect(await enrolment.consume(second.id, now)).toBe(true);
      expect(await enrolment.consume(second.id, now)).toBe(false);
      expect(await enrolment.latest('s1', 't1')).toMatchObject({ usedAt: now.toISOString(), failures: 2 });
      expect(await enrolment.latest('s1', 't2')).toBeUndefined();
      const raw = Buffer.alloc(32, 7).toString('base64');
      await enrolment.recordTerminal({ storeId: 's1', terminalId: 't1', role: 'kiosk', publicKey: raw });
      await enrolment.recordTerminal({ storeId: 's1', terminalId: 't1', role: 'checkout', publicKey: raw });
      expect(await enrolment.terminal('s1', 't1')).toEqual({
        role: 'checkout',
        publicKey: raw,
        keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    },
  );

  run(
    'delivery notes: the first outcome of the addressed terminal wins; listed with their receipts, by store',
    async () => {
      const { deliveries } = await engine.fresh();
      await deliveries.recordSent(sentNote('n2', 's2', 'D-2', '2026-12-07T10:00:02.000Z'));
      await deliveries.recordSent(sentNote('n1', 's1', 'D-1', '2026-12-07T10:00:01.000Z'));
      await deliveries.recordSent(sentNote('n1', 's1', 'D-1', '2026-12-07T10:00:09.000Z'));
      expect(await deliveries.note('n1')).toEqual({
        ...sentNote('n1', 's1', 'D-1', '2026-12-07T10:00:01.000Z'),
        status: 'sent',
        code: null,
        message: null,
        outcomeAt: null,
      });
      expect(await deliveries.note('n9')).toBeUndefined();
      const outcome = { v: 1 as const, id: 'n1', at: '2026-12-07T10:00:05.000Z', deliveryId: 'D-1' };
      // Another terminal cannot answer for it; the addressed one's first answer stays.
      expect(
        await deliveries.recordOutcome('s1', 't2', { ...outcome, status: 'refused', code: 'bad_signature' }),
      ).toBe(false);
      expect(await deliveries.recordOutcome('s1', 't1', { ...outcome, status: 'accepted', units: 3 })).toBe(
        true,
      );
      expect(
        await deliveries.recordOutcome('s1', 't1', { ...outcome, status: 'refused', code: 'replayed' }),
      ).toBe(false);
      expect(
        await deliveries.recordOutcome('s2', 't1', {
          ...outcome,
          id: 'n2',
          status: 'refused',
          code: 'expired',
          message: 'expired at 10:00',
        }),
      ).toBe(true);
      expect(await deliveries.note('n1')).toMatchObject({
        status: 'accepted',
        code: null,
        outcomeAt: '2026-12-07T10:00:05.000Z',
      });
      expect(await deliveries.note('n2')).toMatchObject({
        status: 'refused',
        code: 'expired',
        message: 'expired at 10:00',
      });

      const receipt = accepted(
        'r1',
        5,
        'receipt',
        goodsReceipt('D-1', 'partial'),
        '2026-12-07T11:00:00.000Z',
      );
      const imported = accepted('r2', 6, 'receipt', goodsReceipt('FILE-7'), '2026-12-07T11:30:00.000Z');
      const diversion = accepted(
        'r3',
        7,
        'alert',
        { kind: 'diversion', codeKey: '69000010000000019998', reason: 'not received here' },
        '2026-12-07T12:00:00.000Z',
      );
      const others = [
        accepted(
          'r4',
          8,
          'alert',
          { kind: 'clone', codeKey: '69000010000000019997' },
          '2026-12-07T12:01:00.000Z',
        ),
        accepted('r5', 9, 'receipt_printed', { saleId: 'sale-1' }, '2026-12-07T12:02:00.000Z'),
        // Undecodable (ingest raised undecodable_record for it): skipped here.
        accepted('r6', 10, 'receipt', { deliveryId: 'D-1' }, '2026-12-07T12:03:00.000Z'),
      ];
      await deliveries.noteRecords('s1', 't1', [receipt, imported, diversion, ...others]);
      await deliveries.noteRecords('s1', 't1', [receipt, diversion]);
      const all = await deliveries.list();
      expect(all.notes.map((n) => [n.id, n.status])).toEqual([
        ['n1', 'accepted'],
        ['n2', 'refused'],
      ]);
      expect(all.notes[0]!.receipts).toEqual([
        {
          recordId: 'r1',
          storeId: 's1',
          terminalId: 't1',
          seq: 5,
          deliveryId: 'D-1',
          outcome: 'partial',
          expectedUnits: 3,
          acceptedUnits: 2,
          exceptions: 1,
          at: '2026-12-07T11:00:00.000Z',
        },
      ]);
      expect(all.notes[1]!.receipts).toEqual([]);
      expect(all.otherReceipts.map((r) => [r.recordId, r.deliveryId, r.outcome])).toEqual([
        ['r2', 'FILE-7', 'complete'],
      ]);
      expect(all.diversions).toEqual([
        {
          recordId: 'r3',
          storeId: 's1',
          terminalId: 't1',
          seq: 7,
          codeKey: '69000010000000019998',
          reason: 'not received here',
          at: '2026-12-07T12:00:00.000Z',
        },
      ]);
      const s2 = await deliveries.list({ storeId: 's2' });
      expect(s2).toEqual({ notes: [{ ...all.notes[1]!, receipts: [] }], otherReceipts: [], diversions: [] });
      expect((await deliveries.list({ storeId: 's9' })).notes).toEqual([]);
    },
  );

  run(
    'delivery notes across workers: one outcome wins the one note row, a receipt is kept once',
    async () => {
      const first = await engine.fresh();
      // SQLite: one process per file, so the "other worker" is the same storage.
      const second = (await engine.sibling?.(first)) ?? first;
      await first.deliveries.recordSent(sentNote('n1', 's1', 'D-1', '2026-12-07T10:00:01.000Z'));
      const outcome = { v: 1 as const, id: 'n1', at: '2026-12-07T10:00:05.000Z', deliveryId: 'D-1' };
      const won = await Promise.all([
        first.deliveries.recordOutcome('s1', 't1', { ...outcome, status: 'accepted', units: 3 }),
        second.deliveries.recordOutcome('s1', 't1', { ...outcome, status: 'already_imported' }),
        second.deliveries.recordOutcome('s1', 't1', { ...outcome, status: 'refused', code: 'replayed' }),
      ]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const status = (await first.deliveries.note('n1'))!.status;
      expect(['accepted', 'already_imported', 'refused'][won.indexOf(true)]).toBe(status);
      expect(await second.deliveries.note('n1')).toEqual(await first.deliveries.note('n1'));
      const receipt = accepted('r1', 5, 'receipt', goodsReceipt('D-1'), '2026-12-07T11:00:00.000Z');
      await Promise.all([
        first.deliveries.noteRecords('s1', 't1', [receipt]),
        second.deliveries.noteRecords('s1', 't1', [receipt]),
      ]);
      for (const s of [first, second])
        expect(
          (await s.deliveries.list()).notes.map((n) => [n.id, n.receipts.map((r) => r.recordId)]),
        ).toEqual([['n1', ['r1']]]);
    },
  );

  run(
    'transfer notes: kept once per record, one claim per send across workers, final states stay',
    async () => {
      const first = await engine.fresh();
      const second = (await engine.sibling?.(first)) ?? first;
      const a = first.deliveries.transfers;
      const b = second.deliveries.transfers;
      expect(await a.add(transferNote('rec-1', 's2', '2026-12-07T10:00:00.000Z'))).toBe(true);
      expect(await b.add(transferNote('rec-1', 's2', '2026-12-07T10:09:00.000Z'))).toBe(false);
      expect(await a.add(transferNote('rec-2', 's2', '2026-12-07T10:01:00.000Z'))).toBe(true);
      expect(
        await a.add(transferNote('rec-3', 's1', '2026-12-07T10:02:00.000Z'), {
          code: 'bad_transfer',
          message: 'toStoreId s1 is the shipping store',
        }),
      ).toBe(true);
      expect(await b.get('rec-1')).toEqual({
        recordId: 'rec-1',
        deliveryId: 'TR-rec-1',
        fromStore: 's1',
        fromTerminal: 't1',
        toStore: 's2',
        units: 2,
        state: 'pending',
        terminalId: null,
        attempts: 0,
        lastSentAt: null,
        code: null,
        message: null,
        createdAt: '2026-12-07T10:00:00.000Z',
        body: JSON.stringify({ deliveryId: 'TR-rec-1' }),
      });
      expect(await b.pendingOf('s2')).toEqual(['rec-1', 'rec-2']);
      expect(await b.pendingOf('s2', 'TR-rec-2')).toEqual(['rec-2']);
      expect(await b.pendingOf('s1')).toEqual([]);
      // The first send; then two workers retry at once (sent before 10:05): one of them sends.
      expect(await a.claim('rec-1', 'T2', '2026-12-07T10:00:01.000Z')).toBe(true);
      const retries = await Promise.all([
        a.claim('rec-1', 'T2', '2026-12-07T10:06:00.000Z', '2026-12-07T10:05:00.000Z'),
        b.claim('rec-1', 'T2', '2026-12-07T10:06:00.001Z', '2026-12-07T10:05:00.000Z'),
      ]);
      expect(retries.filter(Boolean)).toHaveLength(1);
      expect(await a.get('rec-1')).toMatchObject({ attempts: 2, terminalId: 'T2' });
      expect(await a.claim('rec-3', 'T1', '2026-12-07T10:06:00.000Z')).toBe(false);
      expect(await b.settle('rec-1', 'delivered', null, null)).toBe(true);
      expect(await a.settle('rec-1', 'refused', 'wrong_store', 'no')).toBe(false);
      expect(await a.claim('rec-1', 'T2', '2026-12-07T10:07:00.000Z')).toBe(false);
      expect(await a.settle('rec-2', 'refused', 'wrong_store', 'note for another store')).toBe(true);
      expect((await a.list()).map((t) => [t.recordId, t.state, t.code, t.attempts])).toEqual([
        ['rec-1', 'delivered', null, 2],
        ['rec-2', 'refused', 'wrong_store', 0],
        ['rec-3', 'refused', 'bad_transfer', 0],
      ]);
      // By store: notes to it or from it.
      expect((await b.list({ storeId: 's2' })).map((t) => t.recordId)).toEqual(['rec-1', 'rec-2']);
      expect((await b.list({ storeId: 's9' })).map((t) => t.recordId)).toEqual([]);
      expect(await b.pendingOf('s2')).toEqual([]);
    },
  );

  releaseCases(run, engine);

  run('the publisher lease has one holder; another worker takes it when the holder lets go', async () => {
    const first = await engine.fresh();
    expect(await first.publisherLease.tryAcquire()).toBe(true);
    expect(first.publisherLease.held()).toBe(true);
    const second = await engine.sibling?.(first);
    if (!second) return; // one process per SQLite file: the lease is always its own
    expect(await second.publisherLease.tryAcquire()).toBe(false);
    await first.publisherLease.release();
    expect(first.publisherLease.held()).toBe(false);
    expect(await second.publisherLease.tryAcquire()).toBe(true);
    expect(await first.publisherLease.tryAcquire()).toBe(false);
    await second.close();
    expect(await first.publisherLease.tryAcquire()).toBe(true);
    expect(await first.publisherLease.confirm()).toBe(true);
    // The holder's connection ended by the server (a cut network, an operator): the holder finds
    // out when it confirms before publishing, and another worker takes the lease.
    await (first as PostgresUpstreamStorage).pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'veriterm-publisher' AND datname = current_database()",
    );
    // pg_terminate_backend only signals the backend: the lock is free once it has exited.
    const pool = (first as PostgresUpstreamStorage).pool;
    const gone = async () =>
      (
        await pool.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
          [PUBLISHER_LOCK],
        )
      ).rows[0].n === 0;
    for (let i = 0; i < 500 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 10));
    const third = await engine.sibling!(first);
    expect(await third.publisherLease.tryAcquire()).toBe(true);
    expect(await first.publisherLease.confirm()).toBe(false);
    expect(first.publisherLease.held()).toBe(false);
    expect(await first.publisherLease.tryAcquire()).toBe(false);
  });
});

describe.skipIf(!pgUp)('PostgreSQL engine: opening', () => {
  it('names an unreachable server without its password, and refuses a schema newer than this build', async () => {
    const refused = PostgresUpstreamStorage.open({
      url: 'postgres://postgres:s3cret@127.0.0.1:1/none',
      logger: silentLogger(),
    });
    await expect(refused).rejects.toMatchObject({
      code: 'upstream_database',
      message: expect.stringMatching(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/),
    });
    await expect(refused).rejects.not.toMatchObject({ message: expect.stringContaining('s3cret') });
    const storage = await postgres.fresh();
    const { rows } = await (storage as PostgresUpstreamStorage).pool.query<{ v: number }>(
      'SELECT max(version) AS v FROM veriterm_schema_migrations',
    );
    await (storage as PostgresUpstreamStorage).pool.query(
      'INSERT INTO veriterm_schema_migrations (version) VALUES ($1)',
      [rows[0]!.v + 1],
    );
    try {
      await expect(
        PostgresUpstreamStorage.open({ url: database!.url, logger: silentLogger() }),
      ).rejects.toThrow(/schema version \d+, newer than this build's \d+: run the newer veriterm/);
    } finally {
      await (storage as PostgresUpstreamStorage).pool.query(
        'DELETE FROM veriterm_schema_migrations WHERE version = $1',
        [rows[0]!.v + 1],
      );
    }
  });

  it('`veriterm upstream revoke --db`: the terminal is revoked in the shared database, its next batch refused with an alert', async () => {
    const storage = await postgres.fresh();
    await storage.ingest.enrol('s1', 't1', pem);
    await storage.ingest.ingest([batch(records.slice(0, 2))]);
    const done = await revokeInDataDir({
      dataDir: tmp.dir,
      storeId: 's1',
      terminalId: 't1',
      logger: silentLogger(),
      storage,
    });
    expect(done).toEqual({ revokedAt: expect.any(String), broker: 'not configured' });
    // Another worker on the same database refuses it from now on.
    const other = await postgres.sibling!(storage);
    expect(await other.ingest.ingest([batch(records.slice(2, 4))])).toMatchObject([
      { ackSeq: 2, problem: { code: 'revoked_terminal' } },
    ]);
    expect(await kinds(storage.ingest)).toEqual([['revoked_terminal', 3]]);
    await expect(
      revokeInDataDir({ dataDir: tmp.dir, storeId: 's1', terminalId: 't9', logger: silentLogger(), storage }),
    ).rejects.toMatchObject({ code: 'not_enrolled' });
  });
});
