import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { canonicalJson } from '../../../terminal/ledger/canonical.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import type { RegistryUnit } from '../../../terminal/registry/types.js';
import { IngestStore, UNDECODABLE_RECORD, UPSTREAM_MIGRATIONS } from '../../../upstream/ingest-store.js';
import { recordsFromCompact } from '../../../upstream/record-verify.js';
import { unitAfter } from '../../../upstream/registry-delta-builder.js';
import { foldUnitEvents } from '../../../upstream/registry-publisher.js';
import { receiptPrinted, salePayload } from '../../helpers/ledger-payloads.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * Upstream decodes every accepted record with the ledger's own decoders
 * (terminal/ledger/record-decoders.ts) and turns what they imply into unit events.
 */
describe('ingest decodes records into unit events', () => {
  const tmp = makeTempDir('vt-ingest-decode-');
  afterAll(() => tmp.cleanup());
  const keys = generateKeyPairSync('ed25519');
  const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  let n = 0;
  const ledger = (terminalId = 't1') =>
    new Ledger({
      file: join(tmp.dir, `ledger-${n++}.db`),
      identity: identityFromPrivateKey(keys.privateKey),
      storeId: 's1',
      terminalId,
    });
  const upstream = (db = openDatabase(join(tmp.dir, `up-${n++}.db`))) => {
    const store = new IngestStore(db);
    store.enrol('s1', 't1', pem);
    return store;
  };

  /** A sale of `keys` (one write-off each), as the checkout writes it. */
  const sell = (l: Ledger, keys: string[]) =>
    l.transaction(() => {
      const sale = l.append('sale', salePayload(keys));
      return keys.map((codeKey, line) => l.append('write_off', { codeKey, saleId: sale.id, line }));
    });
  /** A return of `writeOffs`, as ReturnsService writes it. */
  const giveBack = (l: Ledger, writeOffs: LedgerRecord[]) =>
    l.append('return', {
      approvedBy: 'mgr-1',
      lines: writeOffs.map((w) => ({
        codeKey: w.payload.codeKey as string,
        saleId: w.payload.saleId as string,
        writeOffId: w.id,
        writeOffSeq: w.seq,
      })),
    });
  const events = (store: IngestStore) =>
    store.unpublishedUnitEvents().map((e) => [e.key, e.status, e.storeId, e.terminalId]);

  it('a write-off is sold; a return makes every one of its lines active; a re-ingest adds nothing', () => {
    const l = ledger();
    const sold = sell(l, ['K1', 'K2', 'K3']);
    const ret = giveBack(l, [sold[0]!, sold[2]!]);
    l.append('receipt_printed', receiptPrinted(1));
    const records = l.pending(0, 100);
    const store = upstream();
    const first = store.ingest('s1', 't1', records);
    expect(first).toMatchObject({ ackSeq: 6, unitEvents: 5 });
    expect(events(store)).toEqual([
      ['K1', 'sold', 's1', 't1'],
      ['K2', 'sold', 's1', 't1'],
      ['K3', 'sold', 's1', 't1'],
      ['K1', 'active', 's1', 't1'],
      ['K3', 'active', 's1', 't1'],
    ]);
    expect(store.unpublishedUnitEvents().at(-1)).toMatchObject({ at: ret.at });
    // A resend, whole or in part, is a duplicate: no new events, no alert.
    expect(store.ingest('s1', 't1', records)).toMatchObject({ ackSeq: 6, duplicates: 6, unitEvents: 0 });
    expect(store.ingestMany([{ storeId: 's1', terminalId: 't1', records: records.slice(3) }])).toMatchObject([
      { unitEvents: 0 },
    ]);
    expect(store.unpublishedUnitEvents()).toHaveLength(5);
    expect(store.alerts()).toEqual([]);
  });

  it('version 2 (columnar) batches give the same events', () => {
    const l = ledger();
    const sold = sell(l, ['V1', 'V2']);
    giveBack(l, sold);
    const rs = l.pending(0, 100);
    const { records, payloads } = recordsFromCompact({
      v: 2,
      batchId: 'b1',
      storeId: 's1',
      terminalId: 't1',
      firstSeq: 1,
      prevHash: rs[0]!.prevHash,
      ids: rs.map((r) => r.id),
      types: rs.map((r) => r.type),
      ats: rs.map((r) => r.at),
      payloads: rs.map((r) => r.payload),
      sigs: rs.map((r) => r.signature),
    });
    const store = upstream();
    expect(store.ingest('s1', 't1', records, payloads)).toMatchObject({ ackSeq: 4, unitEvents: 4 });
    expect(events(store).map(([key, status]) => `${key}:${status}`)).toEqual([
      'V1:sold',
      'V2:sold',
      'V1:active',
      'V2:active',
    ]);
  });

  it('a record its decoder refuses is stored and acknowledged, raises an alert naming the field, and implies nothing', () => {
    const l = ledger();
    // Signed by the terminal, so the chain is authentic; the payloads are not what their types say.
    const badWriteOff = l.append('write_off', { codeKey: 'B1', saleId: 'sale-1', line: -1 });
    const badAlert = l.append('alert', { kind: 'fire', codeKey: 'B2' });
    const badReceipt = l.append('receipt_printed', { job: 7 });
    const [good] = sell(l, ['B3']);
    const records = l.pending(0, 100);
    const store = upstream();
    expect(store.ingest('s1', 't1', records)).toMatchObject({ ackSeq: 5, unitEvents: 1 });
    expect(store.sequences('s1', 't1')).toEqual([1, 2, 3, 4, 5]);
    const stored = store.db
      .prepare("SELECT payload FROM up_records WHERE terminal_id = 't1' ORDER BY seq")
      .pluck()
      .all();
    expect(stored).toEqual(records.map((r) => canonicalJson(r.payload)));
    expect(store.alerts()).toEqual([
      {
        storeId: 's1',
        terminalId: 't1',
        kind: UNDECODABLE_RECORD,
        seq: badWriteOff.seq,
        message: expect.stringMatching(new RegExp(`^record ${badWriteOff.id}: write_off payload line: `)),
      },
      {
        storeId: 's1',
        terminalId: 't1',
        kind: UNDECODABLE_RECORD,
        seq: badAlert.seq,
        message: expect.stringContaining('alert payload kind: '),
      },
      {
        storeId: 's1',
        terminalId: 't1',
        kind: UNDECODABLE_RECORD,
        seq: badReceipt.seq,
        message: expect.stringContaining('receipt_printed payload saleId: '),
      },
    ]);
    // Only the well-formed write-off made an event; the one with a bad line did not guess a key.
    expect(events(store)).toEqual([[good!.payload.codeKey, 'sold', 's1', 't1']]);
    // A resend raises nothing new.
    store.ingest('s1', 't1', records);
    expect(store.alerts()).toHaveLength(3);
  });

  it('a database written before decoding gets the active events its returns never made', () => {
    const l = ledger();
    // K1: sold, returned (no event back then). K2: sold, returned, sold again. K3: sold, returned,
    // and the unit's latest event is a sale elsewhere.
    const [k1, k2, k3] = sell(l, ['K1', 'K2', 'K3']);
    const ret = giveBack(l, [k1!, k2!, k3!]);
    const [k2again] = sell(l, ['K2']);
    const records = l.pending(0, 100);
    const db = openDatabase(join(tmp.dir, `up-${n++}.db`));
    const before = UPSTREAM_MIGRATIONS.length - 2;
    migrate(db, 'upstream', UPSTREAM_MIGRATIONS.slice(0, before));
    db.prepare(
      "INSERT INTO up_terminals (store_id, terminal_id, public_key, last_seq, last_hash, num) VALUES ('s1', 't1', ?, ?, ?, 1)",
    ).run(pem, records.at(-1)!.seq, records.at(-1)!.hash);
    db.prepare(
      `INSERT INTO up_record_batches (terminal, first_seq, last_seq, ids, types, ats, signatures, payloads, hashes, ingested_ms)
       VALUES (1, 1, ?, ?, ?, ?, ?, ?, ?, 0)`,
    ).run(
      records.length,
      JSON.stringify(records.map((r) => r.id)),
      JSON.stringify(records.map((r) => r.type)),
      JSON.stringify(records.map((r) => r.at)),
      JSON.stringify(records.map((r) => r.signature)),
      `[${records.map((r) => canonicalJson(r.payload)).join(',')}]`,
      records.map((r) => r.hash).join(''),
    );
    // What the field-name guess made: a sold event per write-off, nothing for the return.
    const event = db.prepare(
      'INSERT INTO up_unit_events (key, status, store_id, terminal_id, at, record_id, published_version) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const w of [k1!, k2!, k3!]) event.run(w.payload.codeKey, 'sold', 's1', 't1', w.at, w.id, 7);
    event.run('K2', 'sold', 's1', 't1', k2again!.at, k2again!.id, null);
    event.run('K3', 'sold', 's2', 't9', '2099-01-01T00:00:00.000Z', 'elsewhere', null);

    const store = new IngestStore(db);
    expect(events(store)).toEqual([
      ['K2', 'sold', 's1', 't1'],
      ['K3', 'sold', 's2', 't9'],
      ['K1', 'active', 's1', 't1'],
    ]);
    expect(store.unpublishedUnitEvents().at(-1)).toMatchObject({ key: 'K1', at: ret.at });
    // The rebuilt table keeps its ids and is unique per record and unit.
    expect(() => event.run('K1', 'active', 's1', 't1', ret.at, ret.id, null)).toThrow(/UNIQUE/);
    event.run('K9', 'active', 's1', 't1', ret.at, ret.id, null);
  });
});

describe('folding unit events into one change per unit (registry publisher)', () => {
  let id = 0;
  const e = (key: string, status: 'sold' | 'active', storeId: string, at: string) => ({
    id: ++id,
    key,
    status,
    storeId,
    terminalId: 't1',
    at,
  });
  it.each([
    [
      'a sale',
      [e('K', 'sold', 'A', '1')],
      { status: 'sold', soldAt: { store: 'A', at: '1', terminal: 't1' } },
    ],
    ['a sale then its return', [e('K', 'sold', 'A', '1'), e('K', 'active', 'A', '2')], { status: 'active' }],
    [
      'a return then a resale',
      [e('K', 'sold', 'A', '1'), e('K', 'active', 'A', '2'), e('K', 'sold', 'A', '3')],
      { status: 'sold', soldAt: { store: 'A', at: '3', terminal: 't1' } },
    ],
    [
      "a return that meets another store's sale",
      [e('K', 'sold', 'A', '1'), e('K', 'sold', 'B', '2'), e('K', 'active', 'A', '3')],
      { status: 'sold', soldAt: { store: 'B', at: '2', terminal: 't1' } },
    ],
    [
      'a return alone (the builder checks it against the registry)',
      [e('K', 'active', 'A', '2')],
      { status: 'active', returnedAt: { store: 'A', at: '2', terminal: 't1' } },
    ],
  ])('%s', (_what, events, expected) => {
    expect(foldUnitEvents(events)).toEqual([expect.objectContaining({ key: 'K', ...expected })]);
  });
});

describe('a unit after a change (registry delta builder)', () => {
  const unit = (status: RegistryUnit['status'], soldAt?: RegistryUnit['soldAt']): RegistryUnit => ({
    key: 'K',
    status,
    productKey: 'P',
    batchNumber: 'B1',
    ...(soldAt ? { soldAt } : {}),
  });
  const sold = { key: 'K', status: 'sold', soldAt: { store: 'A', at: '1', terminal: 't1' } } as const;
  const returnedAt = (store: string) =>
    ({ key: 'K', status: 'active', returnedAt: { store, at: '2' } }) as const;

  it('a sale marks an active or received unit sold, where and when', () => {
    expect(unitAfter(unit('active'), sold)).toEqual(unit('sold', { store: 'A', at: '1' }));
    expect(unitAfter(unit('received'), sold)).toEqual(unit('sold', { store: 'A', at: '1' }));
  });
  it('a return makes the unit active only when the registry says it was sold at the returning store', () => {
    expect(unitAfter(unit('sold', { store: 'A', at: '1' }), returnedAt('A'))).toEqual(unit('active'));
    expect(unitAfter(unit('sold', { store: 'B', at: '1' }), returnedAt('A'))).toBeUndefined();
    expect(unitAfter(unit('active'), returnedAt('A'))).toBeUndefined();
  });
  it.each(['recalled', 'withdrawn', 'stolen', 'destroyed', 'locked'] as const)(
    'a %s unit stays so whatever terminals report',
    (status) => {
      expect(unitAfter(unit(status), sold)).toBeUndefined();
      expect(unitAfter(unit(status, { store: 'A', at: '1' }), returnedAt('A'))).toBeUndefined();
    },
  );
});
