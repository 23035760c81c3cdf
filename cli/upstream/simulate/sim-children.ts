import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A simulation process, with the end of what it wrote to stderr (for the errors that name it). */
export type SimChild = ChildProcess & { stderrTail: () => string };

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The simulation's child processes (the upstream workers, the terminal processes): forked from
 * sibling modules of this folder, and killed together when the run ends, however it ends.
 */
export class SimChildren {
  readonly #all: SimChild[] = [];

  /** Forks a sibling module: the .ts source under tsx (tests, `npx tsx`), the compiled .js otherwise. */
  fork(name: string, args: string[]): SimChild {
    const fromSource = import.meta.url.endsWith('.ts');
    const child = fork(join(here, `${name}${fromSource ? '.ts' : '.js'}`), args, {
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let tail = '';
    child.stderr?.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
    });
    const simChild = Object.assign(child, { stderrTail: () => tail });
    this.#all.push(simChild);
    return simChild;
  }

  /** Kills those still running (SIGKILL): the run is over, nothing of theirs is wanted any more. */
  killRemaining(): void {
    for (const child of this.#all) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The next message of `type` from a child; rejects, with its stderr, on timeout or its exit. */
export function nextMessage<T extends { type: string }>(
  child: SimChild,
  type: T['type'],
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`no '${type}' from a simulation process within ${timeoutMs} ms: ${child.stderrTail()}`),
      );
    }, timeoutMs);
    const onMessage = (m: T | { type: string; message?: string }) => {
      // A process that cannot answer says so (`<type>-failed`) instead of leaving us to time out.
      if (m.type === `${type}-failed`) {
        cleanup();
        reject(new Error(`a simulation process failed '${type}': ${'message' in m ? m.message : ''}`));
        return;
      }
      if (m.type !== type) return;
      cleanup();
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`a simulation process exited (${code}) before '${type}': ${child.stderrTail()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
