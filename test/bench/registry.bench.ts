import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../terminal/db/open-database.js';
import { STATUS_CODE } from '../../terminal/registry/body-format.js';
import {
  buildDelta,
  checkpointRegistry,
  createRoot,
  generateSigningKey,
  importRelease,
  pinRoot,
  RegistryStore,
  type RegistryUnit,
  synthesize,
} from '../../terminal/registry/index.js';
import { synthAllUnits, synthPlan } from '../../terminal/registry/synth.js';
import { nowMs, percentile, report, scaled } from './lib.js';

const B = 'registry';
const CHILD = fileURLToPath(new URL('../integration/registry/import-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Runs the import in a child process so its peak RSS is its own (process.resourceUsage().maxRSS). */
function importInChild(
  db: string,
  manifest: string,
): Promise<{ ok: boolean; code?: string; ms: number; cpuMs: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, manifest], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n')[1];
      if (code !== 0 || !line) reject(new Error(`import child exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function shuffle<T>(items: T[]): T[] {
  let seed = 7;
  for (let i = items.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export async function run(): Promise<void> {
  const units = scaled(10_000_000);
  const changes = Math.min(scaled(100_000), Math.floor(units / 4));
  const lookups = Math.min(200_000, Math.floor(units / 2));
  const dir = mkdtempSync(join(tmpdir(), 'veriterm-bench-registry-'));
  try {
    report(B, 'units', units, 'units');
    const rootKey = generateSigningKey();
    const releaseKey = generateSigningKey();
    const root = createRoot({ rootKeys: [rootKey], releaseKeys: [releaseKey] }, [rootKey]);
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();

    let t = nowMs();
    const snap = await synthesize(
      { units, scope: 'bench', version: 1, expires },
      [releaseKey],
      join(dir, 'snap-1.manifest.json'),
    );
    report(B, 'synth_snapshot', (nowMs() - t) / 1000, 's');
    report(B, 'body_bytes_per_unit', snap.manifest.signed.body.length / units, 'B');

    // Raw baseline: the same unit rows, sorted, one transaction, plain text-key table. Only the
    // insert calls are timed (rows are generated in chunks outside the clock).
    const plan = synthPlan({ units });
    const pid = new Map(plan.map((p, i) => [p.product.key, i + 1]));
    const rawFile = join(dir, 'raw.db');
    const raw = openDatabase(rawFile);
    raw.exec(
      'CREATE TABLE units (key TEXT PRIMARY KEY, status INTEGER NOT NULL, product INTEGER NOT NULL, batch TEXT) WITHOUT ROWID',
    );
    const insert = raw.prepare('INSERT INTO units VALUES (?, ?, ?, ?)');
    const stride = Math.max(1, Math.floor(units / (lookups + changes)));
    const sample: RegistryUnit[] = [];
    let rawMs = 0;
    let rawCpuMs = 0;
    let chunk: RegistryUnit[] = [];
    const flush = () => {
      const s = nowMs();
      const c = process.cpuUsage();
      for (const u of chunk)
        insert.run(u.key, STATUS_CODE[u.status]!, pid.get(u.productKey)!, u.batchNumber ?? null);
      rawMs += nowMs() - s;
      rawCpuMs += cpuMs(c);
      chunk = [];
    };
    raw.exec('BEGIN');
    let i = 0;
    for (const u of synthAllUnits(plan)) {
      chunk.push(u);
      if (i++ % stride === 0) sample.push(u);
      if (chunk.length === 50_000) flush();
    }
    flush();
    t = nowMs();
    const commitCpu = process.cpuUsage();
    raw.exec('COMMIT');
    rawMs += nowMs() - t;
    rawCpuMs += cpuMs(commitCpu);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    report(B, 'raw_insert', rawMs / 1000, 's');
    report(B, 'raw_insert_rate', Math.round(units / (rawMs / 1000)), 'rows/s');

    // Signed snapshot import: verify + apply, in a child process.
    const db = join(dir, 'registry.db');
    const pinned = pinRoot(db, root);
    if (!pinned.ok) throw new Error(pinned.message);
    const imported = await importInChild(db, snap.manifestFile);
    if (!imported.ok) throw new Error(`import refused: ${imported.code}`);
    report(B, 'import_snapshot', imported.ms / 1000, 's');
    report(B, 'import_vs_raw', imported.ms / rawMs, 'x (target <= 1.5)');
    report(B, 'import_vs_raw_cpu', imported.cpuMs / rawCpuMs, 'x (CPU time: less noisy on a shared machine)');
    report(B, 'import_peak_rss', Math.round(imported.rssMb), 'MB (target <= 256)');
    const bytes = fileSize(db) + fileSize(`${db}-wal`);
    report(B, 'db_bytes_per_unit', bytes / units, 'B (target <= 48)');
    report(B, 'raw_db_bytes_per_unit', (fileSize(rawFile) + fileSize(`${rawFile}-wal`)) / units, 'B');

    // Lookups: the same keys, random order, raw point lookup vs RegistryStore.lookup.
    const keys = shuffle(sample.slice(0, lookups).map((u) => u.key));
    const rawGet = raw.prepare('SELECT * FROM units WHERE key = ?');
    const store = RegistryStore.open(db, { readonly: true });
    for (const k of keys.slice(0, 10_000)) {
      rawGet.get(k);
      store.lookup(k);
    }
    // Alternate blocks so that load from other processes hits both sides alike.
    const clock = { raw: 0, ours: 0, rawCpu: 0, oursCpu: 0 };
    let found = 0;
    for (let start = 0; start < keys.length; start += 10_000) {
      const block = keys.slice(start, start + 10_000);
      let s = nowMs();
      let c = process.cpuUsage();
      for (const k of block) rawGet.get(k);
      clock.raw += nowMs() - s;
      clock.rawCpu += cpuMs(c);
      s = nowMs();
      c = process.cpuUsage();
      for (const k of block) if (store.lookup(k).unit) found++;
      clock.ours += nowMs() - s;
      clock.oursCpu += cpuMs(c);
    }
    if (found !== keys.length) throw new Error(`lookup found ${found} of ${keys.length}`);
    const rawRate = keys.length / (clock.raw / 1000);
    const rate = keys.length / (clock.ours / 1000);
    const each: number[] = [];
    const rawEach: number[] = [];
    for (const k of keys.slice(0, 100_000)) {
      let s = process.hrtime.bigint();
      store.lookup(k);
      each.push(Number(process.hrtime.bigint() - s) / 1000);
      s = process.hrtime.bigint();
      rawGet.get(k);
      rawEach.push(Number(process.hrtime.bigint() - s) / 1000);
    }
    report(B, 'raw_lookup_rate', Math.round(rawRate), 'lookups/s');
    report(B, 'lookup_rate', Math.round(rate), 'lookups/s');
    report(B, 'lookup_vs_raw', rate / rawRate, 'x (target >= 0.8)');
    report(B, 'lookup_vs_raw_cpu', clock.rawCpu / clock.oursCpu, 'x (CPU time)');
    report(B, 'raw_lookup_p99', percentile(rawEach, 99), 'µs');
    report(B, 'lookup_p99', percentile(each, 99), 'µs (target <= 50)');
    raw.close();

    // A delta of `changes` records: most units sold at another store, some new, some deleted.
    const touched = sample.slice(lookups, lookups + changes);
    const sold: RegistryUnit[] = [];
    const deleted: string[] = [];
    const added: RegistryUnit[] = [];
    touched.forEach((u, j) => {
      if (j % 10 === 0) deleted.push(u.key);
      else if (j % 10 === 1 && u.key.length === 20)
        added.push({ ...u, key: `${u.key.slice(0, 7)}9${u.key.slice(8)}`, status: 'active' });
      else sold.push({ ...u, status: 'sold', soldAt: { store: 'S0999', at: '2026-11-27T12:00:00.000Z' } });
    });
    const existing = new Set(keys);
    const fresh = added.filter((u) => !existing.has(u.key));
    t = nowMs();
    const d = await buildDelta(
      {
        scope: 'bench',
        expires,
        base: db,
        upsert: { units: [...sold, ...fresh] },
        delete: { units: deleted },
      },
      [releaseKey],
      join(dir, 'delta-2.manifest.json'),
    );
    report(B, 'build_delta', (nowMs() - t) / 1000, 's');
    const records = Object.values(d.manifest.signed.records).reduce((a, b) => a + b, 0);
    report(B, 'delta_records', records, 'records');
    // Apply = verify + apply + commit (durable, visible to readers). The WAL checkpoint that
    // copies the changed pages back into the main file is housekeeping, timed on its own.
    t = nowMs();
    const applied = await importRelease(db, d.manifestFile, { checkpoint: 'none' });
    if (!applied.ok) throw new Error(`delta refused: ${applied.code} ${applied.message}`);
    report(B, 'apply_delta', (nowMs() - t) / 1000, 's (target <= 2 at 100,000 changes)');
    t = nowMs();
    checkpointRegistry(db);
    report(B, 'checkpoint_after_delta', (nowMs() - t) / 1000, 's');
    if (store.state()?.version !== 2) throw new Error('reader did not see the delta');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
