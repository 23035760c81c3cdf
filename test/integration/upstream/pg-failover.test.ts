import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../terminal/logger.js';
import { loadOrCreateCommandKey } from '../../../upstream/start-upstream.js';
import { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, terminalKeys, until } from '../sync/harness.js';

/**
 * Horizontal ingest (issue 20): two `veriterm upstream` workers on one PostgreSQL database share
 * the terminals' uplink through `$share/veriterm-ingest/…` on a spawned mosquitto. In each run a
 * terminal sends records (receipts, write-offs and a record that raises an upstream alert) while
 * one worker is killed with SIGKILL in the middle of the traffic (the publisher in odd runs, the
 * other worker in even ones), then restarted as systemd would. Every record must be stored
 * exactly once, in chain order; the alert raised exactly once; every write-off turned into a
 * published unit event; after a publisher's death the other worker publishes within 10 s.
 * VERITERM_FAILOVER_RUNS sets the run count (default 4; the issue's judging asks for 20).
 */
const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.VERITERM_FAILOVER_RUNS ?? 4);
/** What the issue allows a successor: the publisher lease retry (2 s) plus slack for a loaded machine. */
const FAILOVER_DEADLINE_MS = 10_000;

interface Worker {
  id: string;
  child: ChildProcess;
  output(): string;
  publishing(): boolean;
  start(): Promise<void>;
}

async function loadWorker(id: string, dataDir: string, brokerUrl: string, dbUrl: string): Promise<Worker> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'pg-worker-child.ts'), dataDir, brokerUrl, dbUrl, id],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let publishing = false;
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of d.toString().split('\n')) {
      if (line === `publishing ${id}`) publishing = true;
      if (line === `not-publishing ${id}`) publishing = false;
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.once('exit', () => {
    publishing = false;
  });
  const alive = () => {
    if (child.exitCode !== null) throw new Error(`worker ${id} exited with ${child.exitCode}:\n${out}`);
  };
  await until(() => out.includes('loaded') || child.exitCode !== null, `worker ${id} loaded`, 60_000);
  alive();
  return {
    id,
    child,
    output: () => out,
    publishing: () => publishing,
    async start() {
      child.stdin?.write('start\n');
      await until(
        () => out.includes(`connected ${id}`) || child.exitCode !== null,
        `worker ${id} connected`,
        30_000,
      );
      alive();
    },
  };
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

const ready = hasSystemTool('mosquitto') && (await hasPostgres());

describe.skipIf(!ready)('two upstream workers on PostgreSQL, one killed with SIGKILL mid-batch', () => {
  const tmp = makeTempDir('vt-pg-failover-');
  const dataDir = join(tmp.dir, 'upstream');
  let broker: MosquittoBroker;
  let database: TestDatabase;
  let storage: PostgresUpstreamStorage;
  const workers: Worker[] = [];
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
    database = await createTestDatabase('vt_failover');
    storage = await PostgresUpstreamStorage.open({ url: database.url, logger: silentLogger() });
    // One registry scope, so the publisher writes sold-unit deltas (JSON: no signing key here):
    // its first release dropped into the release directory, which a worker adds to the database.
    mkdirSync(join(dataDir, 'registry', 'cn', 'snapshot-0'), { recursive: true });
    writeFileSync(join(dataDir, 'registry', 'cn', 'snapshot-0', 'units.json'), '[]');
    loadOrCreateCommandKey(dataDir); // both workers share the data directory: create it once
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w.child)));
    await storage?.close();
    await database?.drop();
    await broker?.stop();
    tmp.cleanup();
  });

  it(
    `${RUNS} runs: every record once and in order, the alert kept, the publisher replaced within 10 s`,
    async () => {
      const load = (id: string) => loadWorker(id, dataDir, broker.url, database.url);
      const [a, b] = await Promise.all([load('vt-upstream-w1'), load('vt-upstream-w2')]);
      workers.push(a!, b!);
      await a!.start();
      await b!.start();
      await until(() => workers.some((w) => w.publishing()), 'one worker publishing');
      const failovers: number[] = [];
      const report = () => `failovers (ms): ${failovers.join(', ')}`;

      for (let run = 1; run <= RUNS; run++) {
        const terminalId = `t${run}`;
        const keys = terminalKeys();
        await storage.ingest.enrol('s1', terminalId, publicKeyPem(keys.publicKey));
        const t = startTerminal(
          join(tmp.dir, terminalId),
          {
            brokerUrl: broker.url,
            storeId: 's1',
            terminalId,
            protocol: '5',
            drain: { maxBatchRecords: 10, ackTimeoutMs: 2000 },
          },
          { keys },
        );
        await t.sync.start();
        const publisher = workers.find((w) => w.publishing());
        expect(publisher, report()).toBeDefined();
        const victim = run % 2 === 1 ? publisher! : workers.find((w) => w !== publisher)!;
        const survivor = workers.find((w) => w !== victim)!;
        const spare = await load(victim.id); // loaded now: the restart is the start, not tsx compiling

        // Traffic until stopped: receipts, a write-off per chunk, and one record upstream alerts on.
        let sending = true;
        let writeOffs = 0;
        const traffic = (async () => {
          for (let chunk = 0; sending; chunk++) {
            appendMany(t.ledger, 9);
            t.ledger.append('write_off', {
              codeKey: `${terminalId}-U${chunk}`,
              saleId: `sale-${chunk}`,
              line: 0,
            });
            writeOffs++;
            if (chunk === 5)
              t.ledger.append('alert', {
                kind: 'ledger_recovered',
                base: { seq: 0 },
                restoredWriteOffs: 0,
              } as never);
            await new Promise((r) => setTimeout(r, 25));
          }
        })();
        await until(
          async () => (await storage.ingest.lastSeq('s1', terminalId)) >= 40,
          `run ${run}: traffic flowing`,
          30_000,
        );
        const killedAt = Date.now();
        await stop(victim.child, 'SIGKILL');
        if (victim === publisher) {
          await until(
            () => survivor.publishing(),
            `run ${run}: the survivor publishes (${report()})`,
            FAILOVER_DEADLINE_MS,
          );
          failovers.push(Date.now() - killedAt);
        }
        // Traffic goes on through the survivor alone for a while, then the victim comes back.
        const atKill = await storage.ingest.lastSeq('s1', terminalId);
        /** What a failure needs to be understood: sessions on the database, the terminal, the workers' logs. */
        const diagnose = async () => {
          const { rows } = await storage.pool.query(
            'SELECT application_name, state, wait_event, left(query, 60) AS query FROM pg_stat_activity WHERE datname = current_database()',
          );
          const logs = workers.map((w) =>
            w
              .output()
              .split('\n')
              .filter((l) => !l.includes('"gap"'))
              .slice(-10)
              .join('\n'),
          );
          return `database: ${JSON.stringify(rows)}\nterminal: ${JSON.stringify(t.sync.status())}\nworkers:\n${logs.join('\n----\n')}`;
        };
        try {
          await until(
            async () => (await storage.ingest.lastSeq('s1', terminalId)) >= atKill + 30,
            `run ${run}: ingest after the kill`,
            30_000,
          );
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${await diagnose()}`);
        }
        workers.splice(workers.indexOf(victim), 1, spare);
        await spare.start();
        sending = false;
        await traffic;
        await until(() => t.ledger.stats().pending === 0, `run ${run}: every record acknowledged`, 60_000);
        const total = t.ledger.stats().lastAckedSeq;
        expect(total, `run ${run}`).toBe(writeOffs * 10 + 1);

        expect(await storage.ingest.sequences('s1', terminalId), `run ${run}`).toEqual(
          Array.from({ length: total }, (_, i) => i + 1),
        );
        const alerts = (await storage.ingest.alerts()).filter((x) => x.terminalId === terminalId);
        expect(
          alerts.filter((x) => x.kind === 'ledger_recovered'),
          `run ${run}`,
        ).toHaveLength(1);
        // Batches of one terminal reach both workers; one beyond a tip the other is storing is a gap
        // (and is resent), never a fork or a bad record.
        expect(
          alerts.filter((x) => x.kind !== 'ledger_recovered' && x.kind !== 'gap'),
          `run ${run}`,
        ).toEqual([]);
        try {
          await until(
            async () =>
              (await storage.ingest.unpublishedUnitEvents()).every((e) => e.terminalId !== terminalId),
            `run ${run}: every write-off published in a delta`,
            30_000,
          );
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${await diagnose()}`);
        }
        const { rows } = await storage.pool.query<{ n: number; keys: number }>(
          'SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys FROM up_unit_events WHERE terminal_id = $1',
          [terminalId],
        );
        expect(rows[0], `run ${run}`).toEqual({ n: writeOffs, keys: writeOffs });
        await t.sync.stop();
        t.db.close();
      }
      // Publishers died mid-flush and were replaced: the delta chain stayed one chain, no version twice.
      const { rows: chain } = await storage.pool.query<{ from_version: number; version: number }>(
        "SELECT from_version, version FROM up_releases WHERE scope = 'cn' AND kind = 'delta' ORDER BY from_version",
      );
      expect(chain.length).toBeGreaterThanOrEqual(RUNS);
      expect(chain).toEqual(chain.map((_, i) => ({ from_version: i, version: i + 1 })));
      expect(await storage.releases.version('cn')).toBe(chain.length);
      console.log(`pg failover: ${RUNS} runs, ${chain.length} deltas; ${report()}`);
    },
    120_000 + RUNS * 60_000,
  );
});
