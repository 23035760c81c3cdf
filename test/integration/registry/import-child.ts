// Child process for the SIGKILL test: imports one release and reports progress on stdout.
import { importRelease } from '../../../terminal/registry/index.js';

const [db, manifest] = process.argv.slice(2);
process.stdout.write('start\n');
const started = performance.now();
const cpu = process.cpuUsage();
const result = await importRelease(db!, manifest!);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
// maxRSS is in KiB (process.resourceUsage): the peak of this whole process, module loading included.
const rssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({ ok: result.ok, code: result.ok ? undefined : result.code, ms, cpuMs, rssMb })}\n`,
);
