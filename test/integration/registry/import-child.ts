// Child process for the SIGKILL test: imports one release and reports progress on stdout.
import { importRelease } from '../../../terminal/registry/index.js';

const [db, manifest] = process.argv.slice(2);
process.stdout.write('start\n');
const started = performance.now();
const result = await importRelease(db!, manifest!);
process.stdout.write(`${JSON.stringify({ ok: result.ok, ms: performance.now() - started })}\n`);
