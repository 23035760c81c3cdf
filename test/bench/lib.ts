import { readFileSync } from 'node:fs';

/**
 * Helpers for benchmarks. Every figure is printed as one line
 * `<bench> <metric> <value> <unit>` so runs can be compared over time.
 */
export function report(bench: string, metric: string, value: number, unit: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toPrecision(4);
  console.log(`${bench} ${metric} ${shown} ${unit}`);
}

/** Percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** `BENCH_SCALE` (default 1) shrinks sizes for quick runs: `scaled(10_000_000)`. */
export function scaled(n: number): number {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** High-resolution now in milliseconds. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** One benchmark module: `test/bench/<name>.bench.ts` exporting `run()`. */
export interface BenchModule {
  run(): Promise<void>;
}

/**
 * CPU time (ms) of this process's main thread (the event loop), from /proc on Linux: what bounds
 * a Node server's throughput, while `process.cpuUsage()` also counts worker threads. Falls back
 * to the whole process elsewhere. Resolution is the kernel tick (10 ms): use over seconds.
 */
export function mainThreadCpuMs(): number {
  return procCpuMs(`/proc/self/task/${process.pid}/stat`);
}

/** CPU time (ms) of another process (all its threads), from /proc; NaN where /proc is missing. */
export function processCpuMs(pid: number): number {
  try {
    return procCpuMs(`/proc/${pid}/stat`, false);
  } catch {
    return Number.NaN;
  }
}

function procCpuMs(file: string, fallback = true): number {
  try {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch (error) {
    if (!fallback) throw error;
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;

/**
 * Two variants measured round by round in alternating order (a b, b a, a b, …) after one warm-up
 * each, so the VM's drifting speed hits both alike: each variant's figure per round.
 */
export function alternatedRounds<K extends string>(
  kinds: readonly [K, K],
  rounds: number,
  measure: (kind: K) => number,
): Record<K, number[]> {
  for (const kind of kinds) measure(kind);
  const per = { [kinds[0]]: [], [kinds[1]]: [] } as unknown as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? kinds : ([kinds[1], kinds[0]] as const);
    for (const kind of order) per[kind].push(measure(kind));
  }
  return per;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Median of a list of numbers (the mean of the middle two when even). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
