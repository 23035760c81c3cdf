// Child process for the SIGKILL test: imports one release and reports progress on stdout.
import { readFileSync } from 'node:fs';
import { importRelease } from '../../../terminal/registry/index.js';

/**
 * This process's own peak RSS (MB), module loading included: VmHWM, the high-water mark of the
 * address space exec made. Not `resourceUsage().maxRSS`: Linux keeps ru_maxrss across execve
 * (getrusage(2)), so a child forked from a big parent (the registry bench, holding its synthesized
 * units) reports the parent's RSS at fork, e.g. 316 MB for an import that peaked at 170 MB.
 */
function peakRssMb(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Number(kib) / 1024;
  } catch {
    // no /proc (not Linux): fall back below
  }
  return process.resourceUsage().maxRSS / 1024;
}

const [db, manifest] = process.argv.slice(2);
process.stdout.write('start\n');
const started = performance.now();
const cpu = process.cpuUsage();
const result = await importRelease(db!, manifest!);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
const rssMb = peakRssMb();
process.stdout.write(
  `${JSON.stringify({ ok: result.ok, code: result.ok ? undefined : result.code, ms, cpuMs, rssMb })}\n`,
);
