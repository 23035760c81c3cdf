// Development only: the first module of a worker thread started from the TypeScript sources
// (terminal/threads/start-worker.ts). Registers tsx on this thread, then runs the worker module
// named by argv (a `*.worker.ts` file URL). Compiled workers in dist/ never come through here.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
