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
