import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { canonicalJson } from '../../../terminal/ledger/canonical.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import type { CompactBatch } from '../../../terminal/sync/protocol.js';
import { IngestStore, UPSTREAM_MIGRATIONS } from '../../../upstream/ingest-store.js';
import { recordsFromCompact } from '../../../upstream/record-verify.js';
import { receiptPrinted } from '../../helpers/ledger-payloads.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('IngestStore', () => {
  const tmp = makeTempDir('vt-ingest-');
  afterAll(() => tmp.cleanup());
  const keys = generateKeyPairSync('ed25519');
  const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const ledger = new Ledger({
    file: join(tmp.dir, 'ledger.db'),
    identity: identityFromPrivateKey(keys.privateKey),
    storeId: 's1',
    terminalId: 't1',
  });
  ledger.transaction(() => {
    for (let i = 0; i < 20; i++) ledger.append('receipt_printed', receiptPrinted(i));
  });
  ledger.append('write_off', { codeKey: 'CODE-1', saleId: 'sale-1', line: 0 });
  const records = ledger.pending(0, 100);
  let n = 0;
  const fresh = (mode: 'batch-tip' | 'every' = 'batch-tip') => {
    const store = new IngestStore(openDatabase(join(tmp.dir, `up-${n++}.db`)), { signatureCheck: mode });
    store.enrol('s1', 't1', pem);
    return store;
  };

  it('stores in order once; a resend is a duplicate; write-offs become unit events', () => {
    const store = fresh();
    expect(store.ingest('s1', 't1', records.slice(0, 10))).toMatchObject({ ackSeq: 10, duplicates: 0 });
    const again = store.ingest('s1', 't1', records.slice(5, 21));
    expect(again).toMatchObject({ ackSeq: 21, duplicates: 5 });
    expect(again.accepted).toHaveLength(11);
    expect(store.sequences('s1', 't1')).toEqual(records.map((r) => r.seq));
    expect(store.unpublishedUnitEvents()).toMatchObject([{ key: 'CODE-1', status: 'sold', storeId: 's1' }]);
    expect(store.alerts()).toEqual([]);
  });

  it('stores each accepted run as one batch row; up_records shows every record exactly as sent', () => {
    const own = new Ledger({
      file: join(tmp.dir, `ledger-${n++}.db`),
      identity: identityFromPrivateKey(keys.privateKey),
      storeId: 's1',
      terminalId: 't3',
    });
    // Text SQLite's JSON functions could render differently than JavaScript does.
    const payloads = [
      {
        name: 'Ибупрофен 200 мг — 药 😀',
        quote: 'a "b" \\ c\n\t\u0001',
        nested: [[1, -2.5, 1e21, 0.1], null],
      },
      { big: 9007199254740991, small: 1e-7, neg: -0, empty: {}, list: [] },
      ...Array.from({ length: 6 }, (_, i) => ({ i })),
    ];
    for (const p of payloads) own.append('receipt_printed', { ...p, saleId: 'sale-1' });
    const sent = own.pending(0, 100);
    const store = fresh();
    store.enrol('s1', 't3', pem);
    expect(store.ingest('s1', 't3', sent.slice(0, 3))).toMatchObject({ ackSeq: 3 });
    // A resend overlapping the stored run, then a gap: only the contiguous new run 4-6 is stored.
    expect(store.ingest('s1', 't3', [...sent.slice(1, 6), sent[7]!])).toMatchObject({
      ackSeq: 6,
      duplicates: 2,
      problem: { code: 'gap', seq: 8 },
    });
    expect(
      store.db.prepare('SELECT first_seq, last_seq FROM up_record_batches ORDER BY first_seq').raw().all(),
    ).toEqual([
      [1, 3],
      [4, 6],
    ]);
    const stored = store.db
      .prepare(
        "SELECT seq, id, type, at, hash, signature, payload FROM up_records WHERE terminal_id = 't3' ORDER BY seq",
      )
      .all();
    expect(stored).toEqual(
      sent.slice(0, 6).map((r) => ({
        seq: r.seq,
        id: r.id,
        type: r.type,
        at: r.at,
        hash: r.hash,
        signature: r.signature,
        payload: canonicalJson(r.payload),
      })),
    );
    // A resend that differs from a record stored in a batch row is a fork.
    store.ingest('s1', 't3', [{ ...sent[4]!, hash: 'e'.repeat(64) } as LedgerRecord]);
    expect(store.alerts().map((a) => [a.kind, a.seq])).toEqual([
      ['gap', 8],
      ['conflict', 5],
    ]);
  });

  it('stops at a gap and raises an alert; acks only the contiguous part', () => {
    const store = fresh();
    const r = store.ingest('s1', 't1', [...records.slice(0, 3), ...records.slice(5, 8)]);
    expect(r).toMatchObject({ ackSeq: 3, problem: { code: 'gap', seq: 6 } });
    expect(store.alerts()).toMatchObject([{ kind: 'gap', seq: 6 }]);
  });

  for (const mode of ['batch-tip', 'every'] as const) {
    it(`finds a bad signature in the middle of a batch (${mode}) and keeps what precedes it`, () => {
      const store = fresh(mode);
      const forged = records.slice(0, 8).map((r) => ({ ...r }));
      forged[4] = { ...forged[4]!, signature: Buffer.alloc(64, 1).toString('base64') } as LedgerRecord;
      // The tip's signature still verifies: in batch-tip mode the chain carries authenticity, and the
      // bad signature is found only when the tip fails. Forge the tip too to force the search.
      forged[7] = { ...forged[7]!, signature: Buffer.alloc(64, 2).toString('base64') } as LedgerRecord;
      const r = store.ingest('s1', 't1', forged);
      expect(r).toMatchObject({ ackSeq: 4, problem: { code: 'bad_signature', seq: 5 } });
      expect(store.alerts()).toMatchObject([{ kind: 'bad_signature', seq: 5 }]);
    });
  }

  it('verifies payloads whose keys arrive out of canonical order, and stores the canonical text', () => {
    const tmp2 = join(tmp.dir, 'unsorted');
    const own = new Ledger({
      file: `${tmp2}-ledger.db`,
      identity: identityFromPrivateKey(keys.privateKey),
      storeId: 's1',
      terminalId: 't2',
    });
    const signed = [
      own.append('receipt_printed', { b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' }, saleId: 's' }),
      own.append('receipt_printed', { 10: 'ten', 2: 'two', x: true, saleId: 's' }),
    ];
    // What a sender with another key order would put on the wire: same values, unsorted keys.
    const unsorted = signed.map((r, i) =>
      i === 0 ? { ...r, payload: { saleId: 's', b: 1, a: { c: 'x', d: [{ y: 2, z: 1 }] } } } : r,
    ) as LedgerRecord[];
    const store = fresh();
    store.enrol('s1', 't2', pem);
    expect(store.ingest('s1', 't2', unsorted)).toMatchObject({ ackSeq: 2, duplicates: 0 });
    expect(store.ingest('s1', 't2', unsorted).problem).toBeUndefined();
    const stored = store.db
      .prepare("SELECT payload FROM up_records WHERE terminal_id = 't2' ORDER BY seq")
      .pluck()
      .all();
    expect(stored).toEqual([
      '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1,"saleId":"s"}',
      '{"10":"ten","2":"two","saleId":"s","x":true}',
    ]);
  });

  it('refuses altered content (hash) and a broken link, and flags a resend that differs', () => {
    const store = fresh();
    const altered = { ...records[0]!, payload: { i: 999 } } as LedgerRecord;
    expect(store.ingest('s1', 't1', [altered]).problem?.code).toBe('bad_hash');
    store.ingest('s1', 't1', records.slice(0, 2));
    const fork = { ...records[1]!, hash: 'f'.repeat(64) } as LedgerRecord;
    store.ingest('s1', 't1', [fork]);
    expect(store.alerts().map((a) => a.kind)).toEqual(['bad_hash', 'conflict']);
    const wrongPrev = { ...records[2]!, prevHash: '0'.repeat(64) } as LedgerRecord;
    expect(store.ingest('s1', 't1', [wrongPrev]).problem?.code).toMatch(/bad_hash|bad_chain/);
  });

  it('refuses records from a terminal that is not enrolled', () => {
    const store = fresh();
    expect(store.ingest('s9', 't9', records.slice(0, 1)).problem?.code).toBe('unknown_terminal');
  });

  it('keeps the records of a database written before the terminal-number layout, and goes on from them', () => {
    const db = openDatabase(join(tmp.dir, `up-${n++}.db`));
    migrate(db, 'upstream', UPSTREAM_MIGRATIONS.slice(0, 5));
    db.prepare(
      "INSERT INTO up_terminals (store_id, terminal_id, public_key, last_seq, last_hash) VALUES ('s1', 't1', ?, 5, ?)",
    ).run(pem, records[4]!.hash);
    const old = db.prepare(
      `INSERT INTO up_records (store_id, terminal_id, seq, id, type, at, hash, signature, payload, ingested_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of records.slice(0, 5))
      old.run(
        's1',
        't1',
        r.seq,
        r.id,
        r.type,
        r.at,
        r.hash,
        r.signature,
        JSON.stringify(r.payload),
        '2026-01-02T03:04:05.678Z',
      );
    const before = db.prepare('SELECT * FROM up_records ORDER BY seq').all();
    const store = new IngestStore(db);
    expect(db.prepare('SELECT * FROM up_records ORDER BY seq').all()).toEqual(before);
    expect(store.sequences('s1', 't1')).toEqual([1, 2, 3, 4, 5]);
    expect(store.ingest('s1', 't1', records.slice(3, 10))).toMatchObject({ ackSeq: 10, duplicates: 2 });
    store.enrol('s2', 't9', pem);
    expect(store.ingest('s2', 't9', records.slice(0, 1)).problem?.code).toBe('wrong_terminal');
    expect(db.prepare('SELECT store_id, terminal_id, num FROM up_terminals ORDER BY num').all()).toEqual([
      { store_id: 's1', terminal_id: 't1', num: 1 },
      { store_id: 's2', terminal_id: 't9', num: 2 },
    ]);
    expect(store.alerts()).toMatchObject([{ kind: 'wrong_terminal' }]);
  });

  describe('version 2 (columnar) batches', () => {
    /** What the terminal sends for `rs`: columns, no hashes, seq or terminal per record. */
    const compact = (rs: readonly LedgerRecord[]): CompactBatch => ({
      v: 2,
      batchId: `t1:${rs[0]!.seq}-${rs.at(-1)!.seq}`,
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
    const ingest = (store: IngestStore, batch: CompactBatch) => {
      const { records: derived, payloads } = recordsFromCompact(batch);
      return store.ingest('s1', 't1', derived, payloads);
    };

    it('derives exactly the ledger records (seq, chain and hashes) and stores them once, in order', () => {
      expect(recordsFromCompact(compact(records.slice(3, 12))).records).toEqual(records.slice(3, 12));
      const store = fresh();
      expect(ingest(store, compact(records.slice(0, 10)))).toMatchObject({ ackSeq: 10, duplicates: 0 });
      expect(ingest(store, compact(records.slice(5, 21)))).toMatchObject({ ackSeq: 21, duplicates: 5 });
      expect(store.sequences('s1', 't1')).toEqual(records.map((r) => r.seq));
      expect(store.unpublishedUnitEvents()).toMatchObject([{ key: 'CODE-1', status: 'sold' }]);
      expect(store.alerts()).toEqual([]);
    });

    for (const mode of ['batch-tip', 'every'] as const) {
      it(`an altered payload or id fails that record's signature (${mode}); what precedes it is kept`, () => {
        const store = fresh(mode);
        const batch = compact(records.slice(0, 8));
        batch.payloads[5] = { i: 999 };
        expect(ingest(store, batch)).toMatchObject({ ackSeq: 5, problem: { code: 'bad_signature', seq: 6 } });
        const other = compact(records.slice(5, 8));
        other.ids[1] = '01J0000000000000000000000Z';
        expect(ingest(store, other)).toMatchObject({ ackSeq: 6, problem: { code: 'bad_signature', seq: 7 } });
        expect(store.alerts().map((a) => [a.kind, a.seq])).toEqual([
          ['bad_signature', 6],
          ['bad_signature', 7],
        ]);
      });
    }

    it('refuses a batch whose prevHash does not extend the stored chain, and flags a differing resend', () => {
      const store = fresh();
      ingest(store, compact(records.slice(0, 3)));
      const unlinked = { ...compact(records.slice(3, 5)), prevHash: 'a'.repeat(64) };
      expect(ingest(store, unlinked)).toMatchObject({ ackSeq: 3, problem: { code: 'bad_chain', seq: 4 } });
      // A resend of stored records with other content is a fork, not a duplicate to ignore.
      const forked = compact(records.slice(1, 5));
      forked.ats[0] = '2030-01-01T00:00:00.000Z';
      ingest(store, forked);
      expect(store.alerts().map((a) => a.kind)).toContain('conflict');
    });
  });
});
