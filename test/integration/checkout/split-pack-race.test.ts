import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaySplitParts, storedSplitParts } from '../../../terminal/ledger/split-parts.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal, SPLIT } from './checkout-fixture.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
let childScript = '';
let bundleDir = '';

/** The lane of crash-safety.test.ts (sale-child.ts), bundled once, with the ledger writer's worker beside it. */
beforeAll(async () => {
  const { build } = await import('esbuild');
  bundleDir = join(ROOT, 'node_modules', '.cache', 'veriterm-test', `split-child-${process.pid}`);
  childScript = join(bundleDir, 'sale-child.js');
  await build({
    entryPoints: {
      'sale-child': join(import.meta.dirname, 'sale-child.ts'),
      'writer.worker': join(ROOT, 'terminal', 'db', 'writer.worker.ts'),
    },
    outdir: bundleDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

function lane(): {
  child: ChildProcessWithoutNullStreams;
  sold: () => Promise<string[]>;
  ready: Promise<void>;
} {
  const child = spawn(process.execPath, [childScript], { stdio: 'pipe', cwd: ROOT });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ready = lines.next().then((first) => {
    if (first.value !== 'READY') throw new Error(`lane said ${first.value}: ${stderr}`);
  });
  const sold = async () => {
    const out: string[] = [];
    for await (const line of { [Symbol.asyncIterator]: () => lines })
      if (line.startsWith('SOLD ')) out.push(line.slice(5));
    return out;
  };
  return { child, sold, ready };
}

/**
 * Two checkout processes on one terminal database sell parts of the same packs at once (opposite
 * orders, so they meet mid-way): 6 of 10 each, then 4 each. Every pack sells its first 6 once and
 * its last 4 once, is written off once, nothing is oversold, and no clone alert is raised.
 */
describe('split packs: two processes selling parts of the same packs at once', () => {
  it('never oversells a pack; the loser of each race is refused', { timeout: 60_000 }, async () => {
    const temp = makeTempDir();
    try {
      openTerminal({ dir: temp.dir }).close(); // key and schema once, before the race
      const packs = Array.from({ length: 40 }, (_, i) => code(7_000 + i, SPLIT));
      for (const quantity of [6, 4]) {
        const a = lane();
        const b = lane();
        await Promise.all([a.ready, b.ready]);
        const soldA = a.sold();
        const soldB = b.sold();
        const tokens = packs.map((p) => `${p}:${quantity}`);
        a.child.stdin.write(`race ${temp.dir} ${tokens.join(' ')}\n`);
        b.child.stdin.write(`race ${temp.dir} ${[...tokens].reverse().join(' ')}\n`);
        const [byA, byB] = await Promise.all([soldA, soldB]);
        // Each pack's part sold exactly once, by one lane or the other.
        expect([...byA, ...byB].sort()).toEqual([...tokens].sort());
      }
      const t = openTerminal({ dir: temp.dir });
      try {
        expect(t.ledger.verifyChain(undefined, { payloads: true })).toMatchObject({ ok: true });
        const records = t.ledger.records(0, 10_000);
        expect(records.filter((r) => r.type === 'alert')).toEqual([]);
        expect(
          records
            .filter((r) => r.type === 'write_off')
            .map((r) => r.payload.codeKey)
            .sort(),
        ).toEqual([...packs].sort());
        const sold = t.ledger.splitSoldOf(packs);
        for (const p of packs) expect(sold.get(p)).toBe(10);
        expect(storedSplitParts(t.db)).toEqual(replaySplitParts(t.ledger.iterate()));
      } finally {
        t.close();
      }
    } finally {
      temp.cleanup();
    }
  });
});
