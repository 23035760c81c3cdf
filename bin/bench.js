#!/usr/bin/env node
// `npm run bench [-- name …]`: runs test/bench/*.bench.ts (all, or the named ones).
import { register } from 'tsx/esm/api';

register();
const { runBenchmarks } = await import('../test/bench/run.ts');
process.exitCode = await runBenchmarks(process.argv.slice(2));
