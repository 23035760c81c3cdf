import { spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/terminal-key.js';
import { StockReader } from '../../../terminal/receiving/stock.js';
import { noteOf, pallet, ReceivingRig, signNote, upstreamKeys } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const CHILD = fileURLToPath(new URL('./checkin-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PALLETS = 5;
const CASES = 48;
const PER_CASE = 50;
const PER_PALLET = CASES * PER_CASE;
const RUNS = 20;

/** Runs the child; SIGKILLs it `delayMs` after it reported `start` (null: let it finish). */
function runChild(
  file: string,
  keyFile: string,
  delayMs: number | null,
): Promise<{ out: string; ms?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, file, keyFile, String(PALLETS), String(PER_PALLET)],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (delayMs !== null && !armed && out.startsWith('start\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      const done = /done ([\d.]+)/.exec(out);
      resolve({ out, ...(done ? { ms: Number(done[1]) } : {}) });
    });
  });
}

describe('SIGKILL during pallet check-in', () => {
  const tmp = makeTempDir('vt-receiving-kill-');
  const keyFile = join(tmp.dir, 'terminal-key.pem');
  const base = join(tmp.dir, 'base.db');
  const note = noteOf({
    deliveryId: 'D-KILL',
    pallets: Array.from({ length: PALLETS }, (_, p) => pallet(p + 1, CASES, PER_CASE, p * PER_PALLET)),
  });

  beforeAll(() => {
    const rig = new ReceivingRig(base, loadOrCreateTerminalKey(keyFile), upstreamKeys());
    expect(rig.import(signNote(note, rig.keys.privateKey))).toMatchObject({
      ok: true,
      units: PALLETS * PER_PALLET,
    });
    rig.close();
    expect(existsSync(`${base}-wal`)).toBe(false);
  });
  afterAll(() => tmp.cleanup());

  /** After a kill: every container all in or all out, the ledger verifies, stock = received − sold. */
  function check(file: string, where: string): number {
    const rig = new ReceivingRig(file, loadOrCreateTerminalKey(keyFile), upstreamKeys());
    try {
      expect(rig.db.pragma('integrity_check', { simple: true }), where).toBe('ok');
      expect(rig.ledger.verifyChain(undefined, { payloads: true }).ok, where).toBe(true);
      const stock = new StockReader(rig.db);
      let received = 0;
      let sold = 0;
      let palletsIn = 0;
      for (const p of note.pallets!) {
        const states = new Set<string>();
        for (const c of p.cases!) {
          for (const u of c.units) {
            const s = stock.unit(u).state;
            states.add(s === 'sold' ? 'on_hand' : s);
            if (s !== 'expected') received++;
            if (s === 'sold') sold++;
          }
        }
        // One pallet, its 48 cases and 2,400 units: all in or all out.
        expect([...states], `${where}: pallet ${p.sscc}`).toHaveLength(1);
        if (states.has('on_hand')) palletsIn++;
      }
      const writeOffs = rig.db.prepare('SELECT count(*) AS n FROM ledger_write_offs').get() as { n: number };
      expect(sold, where).toBe(writeOffs.n);
      const counts = stock.countsByProduct();
      const total = counts.reduce(
        (a, r) => ({ received: a.received + r.received, sold: a.sold + r.sold, onHand: a.onHand + r.onHand }),
        { received: 0, sold: 0, onHand: 0 },
      );
      expect(total, where).toEqual({ received, sold, onHand: received - sold });
      expect(received, where).toBe(palletsIn * PER_PALLET);
      return palletsIn;
    } finally {
      rig.close();
    }
  }

  it(`each container is all in or all out after ${RUNS} kills at random moments`, {
    timeout: 300_000,
  }, async () => {
    const calibrate = join(tmp.dir, 'calibrate.db');
    copyFileSync(base, calibrate);
    const full = await runChild(calibrate, keyFile, null);
    expect(full.ms, full.out).toBeGreaterThan(0);
    expect(check(calibrate, 'uninterrupted run')).toBe(PALLETS);
    const span = full.ms! * 1.2;
    const progress: number[] = [];
    // Two children at a time: most of a run is the child starting up (tsx), not the kill window.
    for (let run = 0; run < RUNS; run += 2) {
      const pair = [run, run + 1].map(async (n) => {
        const file = join(tmp.dir, `run-${n}.db`);
        copyFileSync(base, file);
        const delay = Math.random() * span;
        const result = await runChild(file, keyFile, delay);
        expect(result.out.startsWith('start\n')).toBe(true);
        return { file, where: `run ${n} (killed ${delay.toFixed(1)} ms after start)` };
      });
      for (const { file, where } of await Promise.all(pair)) progress.push(check(file, where));
    }
    // The kills landed across the work, not all before or all after it.
    expect(
      progress.some((p) => p > 0 && p < PALLETS),
      progress.join(','),
    ).toBe(true);
  });
});
