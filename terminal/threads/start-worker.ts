import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { VeritermError } from '../errors.js';

/**
 * Where the development loader lives: bin/tsx-worker.js, found from this module's place in the
 * sources (terminal/threads/). Only used when the worker's compiled `.js` is missing, i.e. when
 * running the TypeScript sources, where bin/ is always two folders up.
 */
const TSX_WORKER = new URL('../../bin/tsx-worker.js', import.meta.url);

/**
 * Starts a worker thread from a real module, `*.worker.ts`, given as its compiled URL next to the
 * caller: `startWorker(new URL('./writer.worker.js', import.meta.url), { workerData })`.
 * From dist/ that `.js` file exists and runs as it is (no TypeScript tooling is loaded). From the
 * sources (tsx, vitest) only the `.ts` exists: it then runs through bin/tsx-worker.js, which
 * registers tsx on the worker's own thread first, since Node 20 applies neither the parent's
 * loader hooks nor `execArgv: ['--import', …]` loaders to worker threads (nodejs/node#47747).
 */
export function startWorker(compiled: URL, options: WorkerOptions = {}): Worker {
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const source = new URL(compiled.href.replace(/\.js$/, '.ts'));
  if (!compiled.href.endsWith('.js') || !existsSync(fileURLToPath(source))) {
    throw new VeritermError(
      'worker_missing',
      `worker module ${fileURLToPath(compiled)} does not exist (nor its .ts source): expected a *.worker.ts beside its caller`,
    );
  }
  return new Worker(TSX_WORKER, { ...options, argv: [pathToFileURL(fileURLToPath(source)).href] });
}
