import { readdirSync, readFileSync } from 'node:fs';

// CPU time of the simulation's processes, read from /proc (Linux): what each part of the run cost.

/** CPU (ms) the run's parts had used at one moment; undefined where it could not be read. */
export interface CpuSample {
  broker: number | undefined;
  /** The upstream's workers together. */
  upstream: number | undefined;
  /** PostgreSQL's backends serving the run's database, by pid (with --db). */
  database: Map<number, number> | undefined;
}

/** CPU time (ms) a process has used, from /proc (Linux); undefined elsewhere or when it is gone. */
export function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime) in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The database name of a postgres:// URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/**
 * CPU (ms) of the PostgreSQL backends serving one database on this machine, by pid: a backend's
 * process title is `postgres: … USER DATABASE HOST(PORT) STATE`. The server's shared background
 * processes (WAL writer, checkpointer) serve every database and are not counted.
 */
export function backendCpuMs(database: string): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!title.startsWith('postgres:') || !title.includes(` ${database} `)) continue;
    const ms = procCpuMs(Number(pid));
    if (ms !== undefined) out.set(Number(pid), ms);
  }
  return out;
}
