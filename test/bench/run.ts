import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs the named benchmarks (all when none named). Resolves to an exit code. */
export async function runBenchmarks(names: string[]): Promise<number> {
  const available = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort();
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(', ')}. Expected one of: ${available.join(', ')}`);
    return 2;
  }
  for (const name of names.length > 0 ? names : available) {
    const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchModule;
    await module.run();
  }
  return 0;
}
