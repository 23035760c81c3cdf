import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { synthPlan, synthUnits } from '../../terminal/registry/synth.js';
import type { Verifier } from '../../terminal/verify/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { code } from '../integration/checkout/checkout-fixture.js';
import { startCheckoutServer } from '../integration/checkout/http-fixture.js';
import { mainThreadCpuMs, nowMs, percentile, processCpuMs, report, scaled } from './lib.js';
import { importSynthRegistry } from './synth-registry.js';

const BENCH = 'checkout';
const here = dirname(fileURLToPath(import.meta.url));
const LINES = 10;

/**
 * Raw baseline: the same rows a sale writes (1 sale, 10 write-offs, 11 outbox rows, similar
 * sizes) in one bare better-sqlite3 transaction, WAL + synchronous=FULL, no hashing or signing.
 */
function rawBaseline(dir: string, sales: number): { latencies: number[]; perSecond: number } {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE records (seq INTEGER PRIMARY KEY, id TEXT, type TEXT, at TEXT, payload TEXT, prev_hash TEXT, hash TEXT, signature TEXT);
           CREATE TABLE write_offs (code_key TEXT PRIMARY KEY, sale_id TEXT, seq INTEGER);
           CREATE TABLE outbox (seq INTEGER PRIMARY KEY);`);
  const rec = db.prepare(
    'INSERT INTO records (seq, id, type, at, payload, prev_hash, hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const wo = db.prepare('INSERT INTO write_offs (code_key, sale_id, seq) VALUES (?, ?, ?)');
  const out = db.prepare('INSERT INTO outbox (seq) VALUES (?)');
  const hash = 'a'.repeat(64);
  const sig = 'b'.repeat(88);
  let seq = 0;
  let serial = 1;
  const sale = db.transaction(() => {
    const saleSeq = ++seq;
    const lines = Array.from({ length: LINES }, () => code(serial++));
    rec.run(
      saleSeq,
      `S${saleSeq}`,
      'sale',
      new Date().toISOString(),
      JSON.stringify({ lines }),
      hash,
      hash,
      sig,
    );
    out.run(saleSeq);
    for (const key of lines) {
      const s = ++seq;
      rec.run(
        s,
        `W${s}`,
        'write_off',
        new Date().toISOString(),
        JSON.stringify({ codeKey: key, saleId: `S${saleSeq}` }),
        hash,
        hash,
        sig,
      );
      wo.run(key, `S${saleSeq}`, s);
      out.run(s);
    }
  });
  const latencies: number[] = [];
  const start = nowMs();
  for (let i = 0; i < sales; i++) {
    const t0 = nowMs();
    sale();
    latencies.push(nowMs() - t0);
  }
  const perSecond = sales / ((nowMs() - start) / 1000);
  db.close();
  return { latencies, perSecond };
}

interface ClientResult {
  latencies: number[];
  elapsedMs: number;
}

/** The POS load generator in a child process (see checkout-client-child.ts). */
async function startClient(port: number, token: string) {
  const child = fork(join(here, 'checkout-client-child.ts'), [String(port), token], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench client exited with ${code}`)));
  });
  return {
    /** Runs one phase; resolves with the client's latencies and wall time. */
    run(phase: string, codes: string[], clients: number): Promise<ClientResult> {
      // For attaching a profiler to one phase (`perf record -p`): BENCH_PHASES=1 says when each starts.
      if (process.env.BENCH_PHASES)
        console.error(
          `checkout phase ${phase} starts (pid ${process.pid}, monotonic ${process.hrtime.bigint() / 1000n} us)`,
        );
      return new Promise((resolve, reject) => {
        child.once('message', (m: { ok: boolean; message?: string } & ClientResult) =>
          m.ok ? resolve(m) : reject(new Error(`bench client: ${m.message}`)),
        );
        child.send({ phase, codes, clients, lines: LINES });
      });
    },
    pid: child.pid!,
    stop: () => child.kill(),
  };
}

/** A real signed registry (SQLite, as a terminal holds it) of `units` synthesized units. */
async function buildRegistry(dir: string, units: number) {
  const store = await importSynthRegistry(dir, units);
  report(BENCH, 'registry_units', units, 'units');
  return { store, units: synthPlan({ units }) };
}

/**
 * `count` codes the policy lets a cashier sell, taken round-robin over the registry's products so
 * consecutive lines hit different products and pages, as a real basket does.
 */
function sellableCodes(plan: ReturnType<typeof synthPlan>, verifier: Verifier, count: number): string[] {
  const codes: string[] = [];
  const sources = plan.map((p) => synthUnits(p));
  while (codes.length < count && sources.length > 0) {
    for (let i = 0; i < sources.length && codes.length < count; i++) {
      const next = sources[i]!.next();
      if (next.done) {
        sources.splice(i--, 1);
        continue;
      }
      if (verifier.verify(next.value.key, { record: false }).sellable) codes.push(next.value.key);
    }
  }
  if (codes.length < count) throw new Error(`only ${codes.length} sellable codes; need ${count}`);
  return codes;
}

export async function run(): Promise<void> {
  const temp = makeTempDir('veriterm-bench-');
  try {
    const rawSales = scaled(3000);
    const raw = rawBaseline(temp.dir, rawSales);
    report(BENCH, 'raw_baseline_p50', percentile(raw.latencies, 50), 'ms');
    report(BENCH, 'raw_baseline_p99', percentile(raw.latencies, 99), 'ms');
    report(BENCH, 'raw_baseline_rate', Math.round(raw.perSecond), 'sales/s');

    const registry = await buildRegistry(temp.dir, scaled(1_000_000));
    const server = await startCheckoutServer({ dir: join(temp.dir, 'terminal'), registry: registry.store });
    const port = Number(new URL(server.url).port);
    const client = await startClient(port, server.tokens.cashier);
    const warmSales = scaled(300);
    const serialSales = scaled(2000);
    const total = scaled(6000);
    const codes = sellableCodes(registry.units, server.t.verifier, (warmSales + serialSales + total) * LINES);
    const take = (sales: number) => codes.splice(0, sales * LINES);

    // Warm up (JIT, statement caches, keep-alive sockets).
    await client.run('warm', take(warmSales), 1);

    // Latency: one sale at a time, as one lane does.
    const serialCpu = process.cpuUsage();
    const serial = await client.run('serial', take(serialSales), 1);
    const serialUsed = process.cpuUsage(serialCpu);
    const p50 = percentile(serial.latencies, 50);
    const p99 = percentile(serial.latencies, 99);
    report(BENCH, 'http_sale_10_lines_p50', p50, 'ms');
    report(BENCH, 'http_sale_10_lines_p99', p99, 'ms');
    // The terminal process only (the POS client is another process); one fsync per sale here.
    report(
      BENCH,
      'terminal_cpu_per_sale_one_lane',
      (serialUsed.user + serialUsed.system) / 1000 / serialSales,
      'ms',
    );

    // Sustained: many lanes/POS clients keeping requests in flight; concurrent sales share a
    // durable commit (group commit), so the rate is bound by CPU rather than by fsync.
    const cpuBefore = process.cpuUsage();
    const loopBefore = mainThreadCpuMs();
    const clientBefore = processCpuMs(client.pid);
    const sustained = await client.run('sustained', take(total), 32);
    const cpu = process.cpuUsage(cpuBefore);
    const loopMs = mainThreadCpuMs() - loopBefore;
    const clientMs = processCpuMs(client.pid) - clientBefore;
    const rate = total / (sustained.elapsedMs / 1000);
    report(BENCH, 'http_sustained_rate', Math.round(rate), 'sales/s');
    report(BENCH, 'http_sustained_p99', percentile(sustained.latencies, 99), 'ms');
    // All threads of the terminal (the event loop, the ledger writer, V8 helpers)…
    report(BENCH, 'terminal_cpu_per_sale', (cpu.user + cpu.system) / 1000 / total, 'ms');
    // …and the event loop alone, which bounds the rate (1000 / this = sales/s on one core).
    report(BENCH, 'event_loop_cpu_per_sale', loopMs / total, 'ms');
    // The POS load generator's share of the same 2 cores.
    report(BENCH, 'load_generator_cpu_per_sale', clientMs / total, 'ms');
    // Group commit at work: a batch (one plan) pins one `at` for its records, so distinct sale
    // times count the batches (two in the same millisecond count once: a slight overestimate).
    // The ledger's writer may commit several queued batches in one transaction on top of this.
    const batches = server.t.db
      .prepare("SELECT COUNT(DISTINCT at) AS n FROM ledger_sales WHERE external_ref LIKE 'bench-sustained-%'")
      .get() as { n: number };
    report(BENCH, 'http_sustained_sales_per_batch', total / batches.n, 'sales');
    report(BENCH, 'ratio_p50_to_raw', p50 / percentile(raw.latencies, 50), 'x');
    report(BENCH, 'ratio_p99_to_raw', p99 / percentile(raw.latencies, 99), 'x');
    report(BENCH, 'ratio_rate_to_raw', rate / raw.perSecond, 'x');
    const chain = server.t.ledger.verifyChain();
    if (!chain.ok) throw new Error(`chain broken after the bench: ${chain.message}`);
    report(BENCH, 'records_written', chain.records, 'records');
    client.stop();
    await server.close();
    registry.store.close();
  } finally {
    temp.cleanup();
  }
}
