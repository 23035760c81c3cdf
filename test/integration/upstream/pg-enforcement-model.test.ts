import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { seededRandom } from '../../../terminal/seeded-random.js';
import { verifyAlert } from '../../../upstream/enforcement/evidence-file.js';
import type { FeedAlert } from '../../../upstream/enforcement/feed-alert.js';
import { type FeedReader, sqliteFeedReader } from '../../../upstream/enforcement/feed-query.js';
import { readFeedToken, startFeedServer } from '../../../upstream/enforcement/feed-server.js';
import type { IngestBatch } from '../../../upstream/storage/ingest-types.js';
import { postgresFeedReader } from '../../../upstream/storage/postgres/pg-feed.js';
import { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { SqliteUpstreamStorage } from '../../../upstream/storage/sqlite/sqlite-storage.js';
import { capturedIo } from '../../helpers/captured-io.js';
import { receiptPrinted } from '../../helpers/ledger-payloads.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * The enforcement feed on PostgreSQL against the SQLite engine as the model: the same seeded
 * random ingest calls (three stores selling from one pool of codes, so units are sold twice;
 * returns; kiosk reports; resends, gaps, forks, forged signatures and hashes) must give the same
 * feed: kinds, sources, stores, terminals, seqs, codes, messages and evidence (records, hashes,
 * expectations, chains). Then two workers ingesting the two sales of one unit at the same moment
 * must raise the clone exactly once. A failure prints its seed; VERITERM_MODEL_SEED replays one.
 */
const TERMINALS = [
  ['s1', 't1'],
  ['s2', 't2'],
  ['s3', 't3'],
] as const;
const RUNS = Number(process.env.VERITERM_MODEL_RUNS ?? 4);
const OPS = 40;

const rng = seededRandom;

const tmp = makeTempDir('vt-pg-enf-model-');
const keys = generateKeyPairSync('ed25519');
const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const identity = identityFromPrivateKey(keys.privateKey);

/** A till's chain: sales of the same ten codes at every store (so units sell twice early), returns, kiosk reports. */
function chainOf(storeId: string, terminalId: string, index: number, length: number): LedgerRecord[] {
  const ledger = new Ledger({
    file: join(tmp.dir, `${terminalId}-${Math.random()}.db`),
    identity,
    storeId,
    terminalId,
  });
  let last: LedgerRecord | undefined;
  ledger.transaction(() => {
    for (let i = 0; i < length; i++) {
      if (i % 5 === 1) {
        // Each till sells U0…U9 once, in its own order: t1 in order, t2 pairwise swapped, t3 backwards.
        const k = Math.floor(i / 5);
        const codeKey = `U${index === 0 ? k : index === 1 ? k ^ 1 : 9 - k}`;
        last = ledger.append('write_off', { codeKey, saleId: `sale-${i}`, line: 0 });
      } else if (i % 11 === 9 && last) {
        const codeKey = (last.payload as { codeKey: string }).codeKey;
        ledger.append('return', {
          approvedBy: 'm1',
          lines: [{ codeKey, saleId: 'x', writeOffId: last.id, writeOffSeq: last.seq }],
        });
      } else if (i % 13 === 2)
        ledger.append('alert', { kind: 'suspicious_report', codeKey: `U${i % 12}`, note: 'seal' });
      else ledger.append('receipt_printed', receiptPrinted(i));
    }
  });
  const records = ledger.pending(0, 10_000);
  ledger.close();
  return records;
}

const chains = new Map(TERMINALS.map(([s, t], i) => [t, chainOf(s, t, i, 50)]));

function randomCall(next: () => number, tips: Map<string, number>): IngestBatch[] {
  const count = 1 + Math.floor(next() * 3);
  const batches: IngestBatch[] = [];
  for (let b = 0; b < count; b++) {
    const [storeId, terminalId] = TERMINALS[Math.floor(next() * TERMINALS.length)]!;
    const chain = chains.get(terminalId)!;
    const tip = tips.get(terminalId) ?? 0;
    const from = Math.max(0, Math.min(chain.length - 1, tip - 3 + Math.floor(next() * 5)));
    let slice = chain.slice(from, from + 1 + Math.floor(next() * 8)).map((r) => ({ ...r }));
    const damage = next();
    const at = Math.floor(next() * slice.length);
    if (damage < 0.06) slice[at] = { ...slice[at]!, signature: Buffer.alloc(64, 3).toString('base64') };
    else if (damage < 0.12) slice[at] = { ...slice[at]!, hash: 'e'.repeat(64) };
    else if (damage < 0.18) slice = slice.filter((_, i) => i !== at);
    else if (damage < 0.22) slice[at] = { ...slice[at]!, prevHash: '0'.repeat(64) };
    batches.push({ storeId, terminalId, records: slice as LedgerRecord[] });
    if (slice.length > 0)
      tips.set(terminalId, Math.max(tip, Math.min(slice.at(-1)!.seq, tip + slice.length)));
  }
  return batches;
}

/** What must agree between engines: everything but the row id and upstream's detection time. */
const feedView = (a: FeedAlert) => {
  const { id: _id, detectedAt: _detectedAt, ...rest } = a;
  return rest;
};

async function wholeFeed(reader: FeedReader): Promise<FeedAlert[]> {
  const all: FeedAlert[] = [];
  let after = 0;
  for (;;) {
    const page = await reader.page({ after, limit: 500 });
    all.push(...page.alerts);
    if (page.next === null) return all;
    after = page.next;
  }
}

const capture = capturedIo;

const pgUp = await hasPostgres();

describe.skipIf(!pgUp)('the enforcement feed on PostgreSQL against the SQLite engine as the model', () => {
  let database: TestDatabase;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('vt_enf_model');
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await database?.drop();
    tmp.cleanup();
  });
  const open = async (signatureCheck: 'batch-tip' | 'every' = 'batch-tip') => {
    const s = await PostgresUpstreamStorage.open({
      url: database.url,
      logger: silentLogger(),
      poolSize: 2,
      signatureCheck,
    });
    opened.push(s);
    return s;
  };
  const reset = async (s: PostgresUpstreamStorage, terminals: readonly (readonly [string, string])[]) => {
    await s.pool.query(
      'TRUNCATE up_terminals, up_records, up_alerts, up_unit_events, enf_alerts, enf_unit_sales RESTART IDENTITY',
    );
    for (const [st, t] of terminals) await s.ingest.enrol(st, t, pem);
  };

  it(`${RUNS} seeded runs of ${OPS} random ingest calls: the same feed (kinds, stores, codes, evidence) and alerts`, async () => {
    // Half the runs check every signature (a forged one in a run is then its own alert).
    const pgs = { 'batch-tip': await open(), every: await open('every') };
    const pgFeed = postgresFeedReader(database.url);
    opened.push(pgFeed);
    const seeds = process.env.VERITERM_MODEL_SEED
      ? [Number(process.env.VERITERM_MODEL_SEED)]
      : Array.from({ length: RUNS }, () => Math.floor(Math.random() * 2 ** 31));
    const kindsSeen = new Set<string>();
    for (const [n, seed] of seeds.entries()) {
      const signatureCheck = n % 2 === 0 ? 'batch-tip' : 'every';
      const pg = pgs[signatureCheck];
      await reset(pg, TERMINALS);
      const db = openDatabase(join(tmp.dir, `model-${seed}.db`));
      const sqlite = new SqliteUpstreamStorage(db, { closeDb: false, signatureCheck });
      for (const [s, t] of TERMINALS) await sqlite.ingest.enrol(s, t, pem);
      const next = rng(seed);
      const tips = new Map<string, number>();
      for (let op = 0; op < OPS; op++) {
        const call = randomCall(next, tips);
        await sqlite.ingest.ingest(call);
        await pg.ingest.ingest(call);
      }
      // A forged signature in the middle of each till's next three records (both check modes find it).
      const forged: IngestBatch[] = [];
      for (const [storeId, terminalId] of TERMINALS) {
        const tip = await sqlite.ingest.lastSeq(storeId, terminalId);
        const next3 = chains
          .get(terminalId)!
          .slice(tip, tip + 3)
          .map((r) => ({ ...r }));
        if (next3.length < 3) continue;
        next3[1] = { ...next3[1]!, signature: Buffer.alloc(64, 7).toString('base64') };
        forged.push({ storeId, terminalId, records: next3 });
      }
      await sqlite.ingest.ingest(forged);
      await pg.ingest.ingest(forged);
      // Then every till uploads the rest of its chain intact, so the later sales meet the earlier.
      const rest: IngestBatch[] = TERMINALS.map(([storeId, terminalId]) => ({
        storeId,
        terminalId,
        records: chains.get(terminalId)!,
      }));
      await sqlite.ingest.ingest(rest);
      await pg.ingest.ingest(rest);
      const want = await wholeFeed(sqliteFeedReader(db));
      const got = await wholeFeed(pgFeed);
      const label = `seed ${seed}, ${signatureCheck} (replay: VERITERM_MODEL_SEED=${seed})`;
      expect(got.map(feedView), label).toEqual(want.map(feedView));
      expect(await pg.ingest.alerts(), label).toEqual(await sqlite.ingest.alerts());
      for (const alert of got)
        expect(verifyAlert(alert), `${label} alert ${alert.id}`).toMatchObject({ ok: true });
      for (const alert of got) kindsSeen.add(alert.kind);
      await sqlite.close();
      db.close();
    }
    // The runs did exercise the detector: units sold twice, kiosk reports.
    expect(kindsSeen).toContain('clone');
    expect(kindsSeen).toContain('suspicious_report');
    expect(kindsSeen).toContain('bad_signature');
  }, 300_000);

  it('two workers ingesting the two sales of one unit at the same moment raise the clone exactly once', async () => {
    const workers = [await open(), await open()];
    const stores = [
      ['s1', 'ta'],
      ['s2', 'tb'],
    ] as const;
    await reset(workers[0]!, stores);
    const UNITS = 20;
    const sales = stores.map(([storeId, terminalId]) => {
      const ledger = new Ledger({
        file: join(tmp.dir, `${terminalId}-race.db`),
        identity,
        storeId,
        terminalId,
      });
      const rs: LedgerRecord[] = [];
      ledger.transaction(() => {
        for (let k = 0; k < UNITS; k++)
          rs.push(ledger.append('write_off', { codeKey: `RACE-${k}`, saleId: `sale-${k}`, line: 0 }));
      });
      ledger.close();
      return rs;
    });
    for (let k = 0; k < UNITS; k++) {
      // Each store's sale of unit k on its own worker, both transactions under way at once.
      await Promise.all(
        stores.map(([storeId, terminalId], i) =>
          workers[i]!.ingest.ingest([{ storeId, terminalId, records: [sales[i]![k]!] }]),
        ),
      );
    }
    const reader = postgresFeedReader(database.url);
    opened.push(reader);
    const feed = await wholeFeed(reader);
    expect(feed.map((a) => [a.kind, a.codes[0]]).sort()).toEqual(
      Array.from({ length: UNITS }, (_, k) => ['clone', `RACE-${k}`]).sort(),
    );
    for (const alert of feed) {
      expect(verifyAlert(alert)).toMatchObject({ ok: true });
      expect(new Set(alert.stores)).toEqual(new Set(['s1', 's2']));
    }
    const clones = (await workers[1]!.ingest.alerts()).filter((a) => a.kind === 'clone');
    expect(clones).toHaveLength(UNITS);
  }, 120_000);

  // Reads what the race above left: 20 clones between s1 and s2.
  it('`veriterm upstream alerts --db`, evidence verify and the HTTP feed read the PostgreSQL feed', async () => {
    const run = async (argv: string[]) => {
      const io = capture();
      const code = await main(argv, io.io);
      return { code, out: io.out(), err: io.err() };
    };
    const listed = await run([
      'upstream',
      'alerts',
      '--db',
      database.url,
      '--kind',
      'clone',
      '--store',
      's2',
      '--limit',
      '5',
    ]);
    expect(listed.err).toBe('');
    expect(listed.code).toBe(0);
    const five = JSON.parse(listed.out) as FeedAlert[];
    expect(five.map((a) => a.kind)).toEqual(Array(5).fill('clone'));
    const caseFile = join(tmp.dir, 'case.json');
    writeFileSync(caseFile, listed.out);
    const verified = await run(['upstream', 'evidence', 'verify', caseFile]);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain('VERIFIED');
    const csv = await run([
      'upstream',
      'alerts',
      '--db',
      database.url,
      '--format',
      'csv',
      '--code',
      'RACE-3',
    ]);
    expect(csv.out.trim().split('\n')).toHaveLength(2);
    expect((await run(['upstream', 'alerts', '--db', database.url, '--data', tmp.dir])).code).toBe(2);
    const badUrl = await run(['upstream', 'alerts', '--db', 'mysql://x@y/z']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.err).toContain('--db expects a postgres:// URL');

    const tokenFile = join(tmp.dir, 'feed.token');
    const token = 'a1'.repeat(20);
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const server = await startFeedServer(
      { reader: postgresFeedReader(database.url), logger: silentLogger() },
      { port: 0, token: readFeedToken(tokenFile) },
    );
    try {
      const auth = { authorization: `Bearer ${token}` };
      const page = await fetch(`${server.url}/v1/alerts?kind=clone&limit=3`, { headers: auth });
      expect(page.status).toBe(200);
      const body = (await page.json()) as { data: { alerts: FeedAlert[]; next: number | null } };
      expect(body.data.alerts).toHaveLength(3);
      expect(body.data.next).toBe(body.data.alerts[2]!.id);
      const one = await fetch(`${server.url}/v1/alerts/${body.data.alerts[1]!.id}`, { headers: auth });
      expect(((await one.json()) as { data: FeedAlert }).data).toEqual(body.data.alerts[1]);
      expect((await fetch(`${server.url}/v1/alerts/999999`, { headers: auth })).status).toBe(404);
      expect((await fetch(`${server.url}/v1/alerts`)).status).toBe(401);
      const injected = await fetch(`${server.url}/v1/alerts?store=${encodeURIComponent("s1' OR 1=1 --")}`, {
        headers: auth,
      });
      expect(((await injected.json()) as { data: { alerts: FeedAlert[] } }).data.alerts).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
