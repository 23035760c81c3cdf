import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal } from './checkout-fixture.js';

const RUNS = 30;
const ROOT = join(import.meta.dirname, '..', '..', '..');
let childScript = '';
let bundleDir = '';

/**
 * The child lane is bundled once into plain JavaScript (esbuild, installed with tsx) so that each
 * of the 30+ restarts costs a Node start, not a TypeScript compile. The ledger writer's worker is
 * bundled beside it: startWorker looks for writer.worker.js next to the code that starts it.
 */
beforeAll(async () => {
  const { build } = await import('esbuild');
  bundleDir = join(ROOT, 'node_modules', '.cache', 'veriterm-test', `sale-child-${process.pid}`);
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

interface Child {
  child: ChildProcessWithoutNullStreams;
  lines: AsyncIterableIterator<string>;
  /** Resolves once the child has loaded and waits for its command. */
  ready: Promise<void>;
}

function startChild(): Child {
  const child = spawn(process.execPath, [childScript], { stdio: 'pipe', cwd: ROOT });
  child.stderr.setEncoding('utf8');
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null) console.error(`child exited ${code} (${signal}): ${stderr}`);
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ready = lines.next().then((first) => {
    if (first.value !== 'READY') throw new Error(`child said ${first.value}: ${stderr}`);
  });
  return { child, lines, ready };
}

function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Every invariant the ledger must keep whatever instant the process died at. */
function checkInvariants(dir: string, acked: Map<string, string[]>, after?: { seq: number; hash: string }) {
  const t = openTerminal({ dir });
  try {
    const chain = t.ledger.verifyChain(undefined, after ? { after } : {});
    expect(chain).toMatchObject({ ok: true });
    for (const [saleId, keys] of acked) {
      const sale = t.ledger.sale(saleId);
      expect(sale, `acknowledged sale ${saleId} lost`).toBeDefined();
      expect(sale!.writeOffs.map((w) => w.payload.codeKey)).toEqual(keys);
    }
    // None partial: every sale in the ledger has exactly one write-off per line.
    const partial = t.db
      .prepare(
        `SELECT s.sale_id FROM ledger_sales s JOIN ledger_records r ON r.seq = s.seq
         WHERE json_array_length(r.payload, '$.lines') != (SELECT COUNT(*) FROM ledger_write_offs w WHERE w.sale_id = s.sale_id)`,
      )
      .all();
    expect(partial).toEqual([]);
    // No code written off twice (counted from the records themselves, not the projection).
    const twice = t.db
      .prepare(
        `SELECT json_extract(payload, '$.codeKey') AS k, COUNT(*) AS n FROM ledger_records
         WHERE type = 'write_off' GROUP BY k HAVING n > 1`,
      )
      .all();
    expect(twice).toEqual([]);
    // Outbox matches ledger: exactly the records after the acknowledged sequence.
    const { lastAckedSeq } = t.ledger.stats();
    const outbox = (
      t.db.prepare('SELECT seq FROM ledger_outbox ORDER BY seq').all() as { seq: number }[]
    ).map((r) => r.seq);
    const head = t.ledger.head();
    expect(outbox).toEqual(Array.from({ length: head.seq - lastAckedSeq }, (_, i) => lastAckedSeq + 1 + i));
    const sales = (t.db.prepare('SELECT COUNT(*) AS n FROM ledger_sales').get() as { n: number }).n;
    return { head: { seq: head.seq, hash: head.hash ?? '' }, sales };
  } finally {
    t.close();
  }
}

describe('crash safety: SIGKILL at random moments during sales', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    temp = makeTempDir();
  });
  afterAll(() => temp.cleanup());

  it(`keeps every acknowledged sale, complete, across ${RUNS} kills`, { timeout: 240_000 }, async () => {
    const acked = new Map<string, string[]>();
    let killedMidRun = 0;
    let verified: { seq: number; hash: string } | undefined;
    // The next lane is started while the current one runs, so its start-up overlaps the test.
    let next = startChild();
    for (let run = 0; run < RUNS; run++) {
      const { child, lines, ready } = next;
      await ready;
      child.stdin.write(`crash ${temp.dir} ${run * 100_000 + 1}\n`);
      if (run + 1 < RUNS) next = startChild();
      // Let it sell for a random number of outcomes, then kill it after a random extra delay.
      const target = 1 + Math.floor(Math.random() * 15);
      let seen = 0;
      for await (const line of { [Symbol.asyncIterator]: () => lines }) {
        const [kind, saleId, keys] = line.split(' ');
        if (kind === 'ACK') acked.set(saleId!, keys!.split(','));
        if (++seen === target) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
          child.kill('SIGKILL');
          break;
        }
      }
      await exited(child);
      if (child.signalCode === 'SIGKILL') killedMidRun++;
      verified = checkInvariants(temp.dir, acked, verified).head;
    }
    expect(killedMidRun).toBe(RUNS);
    const { sales } = checkInvariants(temp.dir, acked);
    expect(sales).toBeGreaterThanOrEqual(acked.size);
    expect(acked.size).toBeGreaterThan(RUNS);
  });
});

describe('concurrency: two processes on one database sell the same codes at once', () => {
  it('sells each code exactly once', { timeout: 60_000 }, async () => {
    const temp = makeTempDir();
    try {
      openTerminal({ dir: temp.dir }).close(); // create key and schema once, before the race
      const codes = Array.from({ length: 150 }, (_, i) => code(5_000_000 + i));
      // Opposite orders, so the two lanes meet on the same codes mid-way.
      const a = startChild();
      const b = startChild();
      await Promise.all([a.ready, b.ready]);
      const collect = async (lines: AsyncIterableIterator<string>) => {
        const sold: string[] = [];
        for await (const line of { [Symbol.asyncIterator]: () => lines })
          if (line.startsWith('SOLD ')) sold.push(line.slice(5));
        return sold;
      };
      const soldA = collect(a.lines);
      const soldB = collect(b.lines);
      a.child.stdin.write(`race ${temp.dir} ${codes.join(' ')}\n`);
      b.child.stdin.write(`race ${temp.dir} ${[...codes].reverse().join(' ')}\n`);
      const [byA, byB] = await Promise.all([soldA, soldB]);
      expect([...byA, ...byB].sort()).toEqual([...codes].sort());
      const { head } = checkInvariants(temp.dir, new Map());
      const t = openTerminal({ dir: temp.dir });
      const clones = t.ledger.records(0, 10_000).filter((r) => r.type === 'alert');
      t.close();
      // Every losing attempt left a clone alert; sales + write-offs + alerts make up the chain.
      expect(head.seq).toBe(codes.length * 2 + clones.length);
      expect(clones.length).toBe(codes.length);
    } finally {
      temp.cleanup();
    }
  });
});
