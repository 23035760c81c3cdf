import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RootMetadata } from '../../../terminal/registry/root.js';
import { nextMessage, type SimChild, type SimChildren } from './sim-children.js';
import type { EnrolledDevice } from './sim-fleet-plan.js';
import { type SimFleetCodes, writeSimRegistry } from './sim-kiosk.js';
import { procCpuMs } from './sim-proc-cpu.js';
import { SIM_UPSTREAM_OPTIONS, type UpstreamAudit, type UpstreamTick } from './sim-protocol.js';

/** The upstream's data directory, as the run prepared it. */
export interface UpstreamDir {
  dataDir: string;
  /** The registry's root, which every kiosk pins. */
  root: RootMetadata;
  /** The enforcement feed's bearer token, and the file upstream reads it from. */
  token: string;
  tokenFile: string;
}

/**
 * Prepares the upstream's data directory under the run's `dir`: the scope's signed registry (the
 * watched codes, and with `fleetCodes` every code the fleet sells), the upstream options the run
 * sets, every device enrolled (terminals.json), and a fresh feed token beside it.
 */
export async function writeUpstreamDir(
  dir: string,
  setup: {
    watchedCodes: readonly string[];
    fleetCodes: SimFleetCodes | undefined;
    minDeltaIntervalMs: number | undefined;
    enrolled: readonly EnrolledDevice[];
  },
): Promise<UpstreamDir> {
  const dataDir = join(dir, 'upstream');
  mkdirSync(dataDir);
  const root = await writeSimRegistry(dataDir, setup.watchedCodes, setup.fleetCodes);
  if (setup.minDeltaIntervalMs !== undefined)
    writeFileSync(
      join(dataDir, SIM_UPSTREAM_OPTIONS),
      JSON.stringify({ minDeltaIntervalMs: setup.minDeltaIntervalMs }),
    );
  writeFileSync(
    join(dataDir, 'terminals.json'),
    JSON.stringify(
      setup.enrolled.map((t) => ({
        storeId: t.storeId,
        terminalId: t.terminalId,
        publicKey: t.publicKeyPem,
      })),
    ),
  );
  const token = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }))
    .toString('hex')
    .slice(-64);
  const tokenFile = join(dir, 'feed-token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return { dataDir, root, token, tokenFile };
}

/** The reference upstream's worker processes, running. */
export interface SimUpstreams {
  /** The enforcement feed the first worker serves. */
  feedUrl: string;
  /** Each worker's ticks (records stored, registry versions made) in the order they came. */
  ticks: UpstreamTick[][];
  /** Records the workers stored so far, together. */
  ingested(): number;
  /** CPU (ms) the workers have used together; undefined when one of them cannot be read. */
  cpuMs(): number | undefined;
  /** What upstream stored, for these terminals (the first worker reads the shared storage). */
  audit(terminals: readonly { storeId: string; terminalId: string }[]): Promise<UpstreamAudit>;
  /** Asks each worker to stop, and waits for their exits (15 s at most). */
  stop(): Promise<void>;
}

/**
 * Starts the upstream (sim-upstream-child.ts) in `workers` processes: on the SQLite file in its
 * data directory, or on `database` (PostgreSQL: an empty scratch database, a used one is refused).
 * Several workers share the data directory (registry, command key, the SQLite file of their
 * delivery log) and the database; each its own broker client id. Started one after the other:
 * the first creates the files. The first is asked for the audit and serves the feed polled.
 */
export async function startSimUpstreams(
  children: SimChildren,
  setup: { upstreamDir: UpstreamDir; brokerUrl: string; database: string | undefined; workers: number },
): Promise<SimUpstreams> {
  if (setup.database !== undefined) await refuseUsedDatabase(setup.database);
  const upstreams: SimChild[] = [];
  let feedUrl = '';
  for (let i = 0; i < setup.workers; i++) {
    const u = children.fork('sim-upstream-child', [
      setup.upstreamDir.dataDir,
      setup.brokerUrl,
      setup.upstreamDir.tokenFile,
      ...(setup.database === undefined ? [] : [setup.database, `vt-sim-upstream-${i}`]),
    ]);
    upstreams.push(u);
    const ready = await nextMessage<{ type: 'ready'; feedUrl: string }>(u, 'ready', 120_000);
    if (i === 0) feedUrl = ready.feedUrl;
  }
  const first = upstreams[0]!;
  // Each worker counts what it stored; the rate is the sum of the workers' rates.
  const ticks = upstreams.map(() => [] as UpstreamTick[]);
  upstreams.forEach((u, i) => {
    u.on('message', (m: UpstreamTick) => {
      if (m.type === 'ingested') ticks[i]!.push(m);
    });
  });
  return {
    feedUrl,
    ticks,
    ingested: () => ticks.reduce((n, samples) => n + (samples.at(-1)?.records ?? 0), 0),
    cpuMs: () => {
      const each = upstreams.map((u) => procCpuMs(u.pid));
      return each.some((v) => v === undefined) ? undefined : each.reduce((a, b) => a! + b!, 0);
    },
    audit: (terminals) => {
      const answer = nextMessage<UpstreamAudit>(first, 'audit', 60_000);
      first.send({
        type: 'audit',
        terminals: terminals.map((t) => ({ storeId: t.storeId, terminalId: t.terminalId })),
      });
      return answer;
    },
    stop: async () => {
      for (const u of upstreams) u.send({ type: 'stop' });
      await Promise.race([Promise.all(upstreams.map((u) => once(u, 'exit'))), sleep(15_000)]);
    },
  };
}

/** The simulator enrols its own fleet: a database already holding records is someone's, not a scratch one. */
async function refuseUsedDatabase(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ used: boolean }>(
      "SELECT to_regclass('up_records') IS NOT NULL AND EXISTS (SELECT 1 FROM up_records) AS used",
    );
    if (rows[0]?.used)
      throw new Error(
        `simulate: the database ${url.split('@').at(-1)} already holds upstream records; give an empty scratch database`,
      );
  } catch (error) {
    // to_regclass is NULL on an empty database, and the EXISTS is then not evaluated.
    if ((error as { code?: string }).code === '42P01') return;
    throw error;
  } finally {
    await client.end();
  }
}
