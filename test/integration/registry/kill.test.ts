import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRelease, RegistryStore } from '../../../terminal/registry/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeAuthority, makeUnits, snapshot } from './fixtures.js';

const CHILD = fileURLToPath(new URL('./import-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const UNITS = 15_000;
const RUNS = 20;

interface Run {
  killed: boolean;
  ms?: number;
}

/** Starts the child import and SIGKILLs it `delayMs` after it reports that the import began. */
function runChild(db: string, manifest: string, delayMs: number | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, manifest], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (delayMs !== null && out.startsWith('start\n') && !killed) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      const line = out.split('\n')[1];
      resolve({
        killed: line === undefined || line === '',
        ms: line ? (JSON.parse(line) as { ms: number }).ms : undefined,
      });
    });
  });
}

describe('registry import survives SIGKILL at random moments', () => {
  const tmp = makeTempDir();
  const base = join(tmp.dir, 'base.db');
  let manifest: string;
  let v1Hash: string;
  let v2Hash: string;

  beforeAll(async () => {
    const a = makeAuthority();
    const v1 = await snapshot(tmp.dir, a, 1, makeUnits(UNITS, 'active'));
    const v2 = await snapshot(tmp.dir, a, 2, makeUnits(UNITS, 'locked'));
    manifest = v2.manifestFile;
    v1Hash = v1.manifest.signed.content.hash;
    v2Hash = v2.manifest.signed.content.hash;
    const store = RegistryStore.open(base);
    expect((await importRelease(store, v1.manifestFile, { pinnedRoot: a.root })).ok).toBe(true);
    store.close();
  });
  afterAll(() => tmp.cleanup());

  it(`leaves exactly the old or the new version, integrity ok (${RUNS} kills)`, {
    timeout: 240_000,
  }, async () => {
    // Calibrate under the same load as the kill runs (two children at once).
    const calibration = await Promise.all(
      ['calibrate-a.db', 'calibrate-b.db'].map((name) => {
        copyFileSync(base, join(tmp.dir, name));
        return runChild(join(tmp.dir, name), manifest, null);
      }),
    );
    for (const run of calibration) expect(run.killed).toBe(false);
    const span = Math.max(...calibration.map((run) => run.ms!)) * 1.5;

    const outcomes = { old: 0, new: 0 };
    const check = (db: string) => {
      const conn = new Database(db);
      try {
        expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
        const state = conn.prepare('SELECT version, content_hash, units FROM registry_state').get() as {
          version: number;
          content_hash: string;
          units: number;
        };
        const statuses = conn
          .prepare('SELECT status, COUNT(*) AS n FROM registry_units GROUP BY status')
          .all();
        if (state.version === 1) {
          outcomes.old++;
          expect(state.content_hash).toBe(v1Hash);
          expect(statuses).toEqual([{ status: 0, n: UNITS }]);
        } else {
          outcomes.new++;
          expect(state.version).toBe(2);
          expect(state.content_hash).toBe(v2Hash);
          expect(statuses).toEqual([{ status: 7, n: UNITS }]);
        }
      } finally {
        conn.close();
      }
    };
    // Two children at a time (the machine has two cores); kills spread over the whole import
    // and a little after, jittered.
    for (let i = 0; i < RUNS; i += 2) {
      const pair = [i, i + 1].map(async (j) => {
        const db = join(tmp.dir, `run-${j}.db`);
        copyFileSync(base, db);
        await runChild(db, manifest, Math.floor(((j + Math.random()) / RUNS) * span));
        return db;
      });
      for (const db of await Promise.all(pair)) check(db);
    }
    expect(outcomes.old + outcomes.new).toBe(RUNS);
    expect(outcomes.old).toBeGreaterThan(0);
    console.log(
      `registry kill test: ${outcomes.old} old, ${outcomes.new} new (import ~${Math.round(span / 1.5)} ms)`,
    );
  });
});
