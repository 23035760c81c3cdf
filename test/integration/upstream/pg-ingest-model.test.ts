import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { seededRandom as rng } from '../../../terminal/seeded-random.js';
import type { UpstreamStorage } from '../../../upstream/storage/contract.js';
import type { IngestBatch, IngestResult } from '../../../upstream/storage/ingest-types.js';
import { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { SqliteUpstreamStorage } from '../../../upstream/storage/sqlite/sqlite-storage.js';
import { receiptPrinted } from '../../helpers/ledger-payloads.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * The PostgreSQL engine against today's SQLite engine as the reference model: the same seeded
 * random ingest calls (resends, gaps, forks, forged signatures and hashes, several batches per
 * call, several terminals) must give the same results, alerts, stored chains and unit events.
 * Then several workers at once on one PostgreSQL database: every record exactly once, in order.
 * A failure prints its seed; VERITERM_MODEL_SEED replays one, VERITERM_MODEL_RUNS sets the count.
 */
const TERMINALS = ['t1', 't2', 't3'];
const RUNS = Number(process.env.VERITERM_MODEL_RUNS ?? 6);
const OPS = 40;

const tmp = makeTempDir('vt-pg-model-');
const keys = generateKeyPairSync('ed25519');
const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const identity = identityFromPrivateKey(keys.privateKey);

function chainOf(terminalId: string, length: number): LedgerRecord[] {
  const ledger = new Ledger({ file: join(tmp.dir, `${terminalId}.db`), identity, storeId: 's1', terminalId });
  ledger.transaction(() => {
    for (let i = 0; i < length; i++) {
      if (i % 7 === 3)
        ledger.append('write_off', { codeKey: `${terminalId}-U${i}`, saleId: `sale-${i}`, line: 0 });
      else ledger.append('receipt_printed', receiptPrinted(i));
    }
  });
  const records = ledger.pending(0, 10_000);
  ledger.close();
  return records;
}

const chains = new Map(TERMINALS.map((t) => [t, chainOf(t, 60)]));

/** One random ingest call: 1–3 batches of slices near each terminal's tip, some of them damaged. */
function randomCall(next: () => number, tips: Map<string, number>): IngestBatch[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const count = 1 + Math.floor(next() * 3);
  const batches: IngestBatch[] = [];
  for (let b = 0; b < count; b++) {
    const terminalId = next() < 0.05 ? 't9' : pick(TERMINALS);
    const chain = chains.get(terminalId) ?? chains.get('t1')!;
    const tip = tips.get(terminalId) ?? 0;
    const from = Math.max(0, Math.min(chain.length - 1, tip - 3 + Math.floor(next() * 5)));
    let slice = chain.slice(from, from + 1 + Math.floor(next() * 8)).map((r) => ({ ...r }));
    const damage = next();
    const at = Math.floor(next() * slice.length);
    if (damage < 0.06) slice[at] = { ...slice[at]!, signature: Buffer.alloc(64, 3).toString('base64') };
    else if (damage < 0.12) slice[at] = { ...slice[at]!, hash: 'e'.repeat(64) };
    else if (damage < 0.18) slice = slice.filter((_, i) => i !== at);
    else if (damage < 0.22) slice[at] = { ...slice[at]!, prevHash: '0'.repeat(64) };
    batches.push({ storeId: 's1', terminalId, records: slice as LedgerRecord[] });
    // A guess of the tip for the next slice; the engines decide what is really stored.
    if (slice.length > 0)
      tips.set(terminalId, Math.max(tip, Math.min(slice.at(-1)!.seq, tip + slice.length)));
  }
  return batches;
}

const view = (r: IngestResult) => ({
  ackSeq: r.ackSeq,
  duplicates: r.duplicates,
  unitEvents: r.unitEvents,
  problem: r.problem,
  accepted: r.accepted.map((a) => a.seq),
});

async function snapshot(s: UpstreamStorage) {
  const alerts = (await s.ingest.alerts()).map((a) => [a.terminalId, a.kind, a.seq, a.message]);
  const sequences = await Promise.all(TERMINALS.map((t) => s.ingest.sequences('s1', t)));
  const events = (await s.ingest.unpublishedUnitEvents()).map((e) => [e.key, e.status, e.terminalId, e.at]);
  return { alerts, sequences, events };
}

const pgUp = await hasPostgres();

describe.skipIf(!pgUp)('PostgreSQL ingest against the SQLite engine as the model', () => {
  let database: TestDatabase;
  const opened: UpstreamStorage[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('vt_ingest_model');
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await database?.drop();
    tmp.cleanup();
  });
  const open = async () => {
    const s = await PostgresUpstreamStorage.open({ url: database.url, logger: silentLogger(), poolSize: 2 });
    opened.push(s);
    return s;
  };
  const reset = async (s: PostgresUpstreamStorage) => {
    await s.pool.query(
      'TRUNCATE up_terminals, up_records, up_alerts, up_unit_events, enf_alerts, enf_unit_sales RESTART IDENTITY',
    );
    for (const t of TERMINALS) await s.ingest.enrol('s1', t, pem);
  };

  it(`${RUNS} seeded runs of ${OPS} random ingest calls: same results, alerts, chains and unit events`, async () => {
    const pg = await open();
    const seeds = process.env.VERITERM_MODEL_SEED
      ? [Number(process.env.VERITERM_MODEL_SEED)]
      : Array.from({ length: RUNS }, () => Math.floor(Math.random() * 2 ** 31));
    for (const seed of seeds) {
      await reset(pg);
      const sqlite = new SqliteUpstreamStorage(openDatabase(join(tmp.dir, `model-${seed}.db`)), {
        closeDb: true,
      });
      for (const t of TERMINALS) await sqlite.ingest.enrol('s1', t, pem);
      const next = rng(seed);
      const tips = new Map<string, number>();
      for (let op = 0; op < OPS; op++) {
        const call = randomCall(next, tips);
        const want = (await sqlite.ingest.ingest(call)).map(view);
        const got = (await pg.ingest.ingest(call)).map(view);
        expect(got, `seed ${seed} op ${op} (replay: VERITERM_MODEL_SEED=${seed})`).toEqual(want);
      }
      expect(await snapshot(pg), `seed ${seed}`).toEqual(await snapshot(sqlite));
      await sqlite.close();
    }
  }, 300_000);

  it('three workers ingesting the same terminals at once store every record exactly once, in chain order', async () => {
    const workers = [await open(), await open(), await open()];
    await reset(workers[0]!);
    // Each worker sends overlapping runs of every terminal in its own order (as shared
    // subscriptions and resends deliver them); each call holds batches of several terminals.
    const next = rng(42);
    const work = workers.map(async (w, i) => {
      const tips = new Map<string, number>();
      for (let round = 0; round < 200; round++) {
        const done = TERMINALS.every((t) => (tips.get(t) ?? 0) >= 60);
        if (done) break;
        const batches = TERMINALS.map((t) => {
          const from = Math.max(0, (tips.get(t) ?? 0) - Math.floor(next() * 4));
          return {
            storeId: 's1',
            terminalId: t,
            records: chains.get(t)!.slice(from, from + 3 + ((i + round) % 6)),
          };
        }).sort(() => next() - 0.5);
        const results = await w.ingest.ingest(batches);
        for (const [b, r] of results.entries()) tips.set(batches[b]!.terminalId, r.ackSeq);
      }
    });
    await Promise.all(work);
    for (const t of TERMINALS)
      expect(await workers[0]!.ingest.sequences('s1', t)).toEqual(chains.get(t)!.map((r) => r.seq));
    // Races between workers show as gaps (a batch beyond the tip another worker was storing) and
    // duplicates, never as forks: no conflict, no signature or hash alert.
    const alerts = await workers[0]!.ingest.alerts();
    expect(alerts.filter((a) => a.kind !== 'gap')).toEqual([]);
    const events = await workers[0]!.ingest.unpublishedUnitEvents();
    expect(events).toHaveLength(TERMINALS.length * Math.ceil((60 - 3) / 7));
    expect(new Set(events.map((e) => e.key)).size).toBe(events.length);
  }, 120_000);
});
