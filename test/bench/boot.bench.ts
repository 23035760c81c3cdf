import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error bin/ is plain JavaScript
import { chooseEntry } from '../../bin/build-state.js';
import { createDemoRegistry, DEMO_VERSION } from '../../terminal/registry/demo.js';
import { importRelease } from '../../terminal/registry/import.js';
import { readSigningKey } from '../../terminal/registry/keys.js';
import { RegistryStore } from '../../terminal/registry/store.js';
import { synthesize } from '../../terminal/registry/synth.js';
import { freePort } from '../helpers/free-port.js';
import { nowMs, percentile, processCpuMs, report, scaled } from './lib.js';

const B = 'boot';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RAW_SERVER = fileURLToPath(new URL('./boot-raw-server.mjs', import.meta.url));
/** How long a process idles after ready before its RSS is read. */
const IDLE_MS = 10_000;

interface Boot {
  readyMs: number;
  /** CPU time the process had used when it first answered: less noisy than wall time here. */
  readyCpuMs: number;
  idleRssMb: number;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/**
 * Spawns `args` and times spawn → `GET /api/v1/health` answering `{ status: 'ok' }`, then reads
 * the process's RSS after it idled IDLE_MS, and stops it with SIGTERM.
 */
async function boot(args: string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<Boot> {
  const started = nowMs();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, VERITERM_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    let readyMs: number | undefined;
    let readyCpuMs = Number.NaN;
    while (readyMs === undefined) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.exitCode}: ${stderr}`);
      if (nowMs() - started > 120_000) throw new Error(`${args.join(' ')} not ready after 120 s: ${stderr}`);
      const body = await fetch(`http://127.0.0.1:${port}/api/v1/health`)
        .then((r) => r.json() as Promise<{ status?: string }>)
        .catch(() => undefined);
      if (body?.status === 'ok') {
        readyMs = nowMs() - started;
        readyCpuMs = processCpuMs(child.pid!);
      } else await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { readyMs, readyCpuMs, idleRssMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function summary(values: number[], digits: number): string {
  return values.map((v) => v.toFixed(digits)).join(', ');
}

export async function run(): Promise<void> {
  const units = scaled(10_000_000);
  const rounds = Number(process.env.BENCH_BOOT_ROUNDS ?? '3');
  report(B, 'registry_units', units, 'units');
  // Production runs dist/: build it (and the UI) first if it is missing or older than the sources.
  const build = spawnSync(process.execPath, ['bin/build.js', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const choice = (chooseEntry as (root: string) => { kind: string })(ROOT);
  if (choice.kind !== 'dist')
    throw new Error(`bin/veriterm.js would not run dist/ (${JSON.stringify(choice)})`);

  const dir = mkdtempSync(join(tmpdir(), 'veriterm-bench-boot-'));
  try {
    // One registry for every process: signed with the demo's own keys and newer than the demo's
    // release, so the demo keeps it (a restarted demo keeps a registry that moved on).
    const demoData = join(dir, 'demo');
    const demo = await createDemoRegistry(join(demoData, 'registry'));
    const releaseKey = readSigningKey(join(demoData, 'registry', 'release.key'));
    const t = nowMs();
    const snap = await synthesize(
      {
        units,
        scope: demo.scope,
        version: DEMO_VERSION + 1,
        expires: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
      [releaseKey],
      join(dir, 'snap.manifest.json'),
    );
    const registryDb = join(demoData, 'registry.db');
    const store = RegistryStore.open(registryDb);
    const imported = await importRelease(store, snap.manifestFile, {
      pinnedRoot: demo.root,
      scope: demo.scope,
    });
    store.close();
    if (!imported.ok) throw new Error(`registry import failed: ${imported.code}`);
    report(B, 'registry_build_and_import', (nowMs() - t) / 1000, 's');

    const port = await freePort();
    // A production config links to upstream; the broker is down here (as at many a store's
    // opening), so the link loads mqtt.js and keeps retrying in the background.
    const noBroker = await freePort();
    const runData = join(dir, 'run');
    mkdirSync(runData);
    const config = join(dir, 'terminal.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: runData,
        http: { host: '127.0.0.1', port },
        log: { level: 'warn' },
        registry: { file: registryDb },
        terminal: { storeId: 'S0001', terminalId: 'T-01' },
        sync: { brokerUrl: `mqtt://127.0.0.1:${noBroker}`, storeId: 'S0001', terminalId: 'T-01' },
      }),
    );
    const kinds: Record<string, () => Promise<Boot>> = {
      raw: () => boot([RAW_SERVER, registryDb, String(port)], port),
      run: () => boot(['bin/veriterm.js', 'run', '--config', config], port),
      run_sources: () => boot(['bin/veriterm.js', 'run', '--config', config], port, { VERITERM_DEV: '1' }),
      demo: () => boot(['bin/veriterm.js', 'demo', '--port', String(port), '--data', demoData], port),
    };
    const results: Record<string, Boot[]> = {};
    // Rounds alternate the kinds, so load from other processes falls on all of them alike.
    for (let round = 0; round < rounds; round++) {
      for (const [kind, start] of Object.entries(kinds)) {
        const boots = results[kind] ?? [];
        boots.push(await start());
        results[kind] = boots;
      }
    }
    const targets: Record<string, [string, string]> = {
      run: ['target <= 1500', 'target <= 120'],
    };
    for (const [kind, boots] of Object.entries(results)) {
      const ready = boots.map((b) => b.readyMs);
      const readyCpu = boots.map((b) => b.readyCpuMs);
      const rss = boots.map((b) => b.idleRssMb);
      const [readyTarget, rssTarget] = targets[kind] ?? ['', ''];
      report(
        B,
        `${kind}_ready`,
        Math.round(percentile(ready, 50)),
        `ms median (${summary(ready, 0)}) ${readyTarget}`,
      );
      report(
        B,
        `${kind}_ready_cpu`,
        Math.round(percentile(readyCpu, 50)),
        `ms CPU median (${summary(readyCpu, 0)})`,
      );
      report(
        B,
        `${kind}_idle_rss`,
        Math.round(percentile(rss, 50)),
        `MB median after ${IDLE_MS / 1000} s idle (${summary(rss, 0)}) ${rssTarget}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
