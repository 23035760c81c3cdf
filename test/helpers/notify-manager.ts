import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fakes', 'notify-manager.py');

export interface NotifyMessage {
  text: string;
  /** Sender pid from SCM_CREDENTIALS. */
  pid: number | null;
  uid: number | null;
  /** Whether the sender still existed when the datagram was read (what PID 1 needs to attribute it). */
  alive: boolean;
  ppid: number | null;
  fds: number;
}

export interface FakeNotifyManager {
  socket: string;
  /** The next datagram whose text matches, waiting for it (earlier ones are kept for `all`). */
  next(match: (m: NotifyMessage) => boolean, timeoutMs?: number): Promise<NotifyMessage>;
  all: NotifyMessage[];
  /** --hold mode: lets the manager close the held barrier fds ("processed"). */
  release(): void;
  stop(): void;
}

/** Starts test/fakes/notify-manager.py (python3) on `<dir>/notify` and waits until it listens. */
export async function startFakeNotifyManager(
  dir: string,
  options: { hold?: boolean } = {},
): Promise<FakeNotifyManager> {
  const socket = join(dir, 'notify');
  const child: ChildProcess = spawn('python3', [SCRIPT, socket, ...(options.hold ? ['--hold'] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const all: NotifyMessage[] = [];
  let consumed = 0;
  const waiters: (() => void)[] = [];
  let bound!: () => void;
  const ready = new Promise<void>((r) => {
    bound = r;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as NotifyMessage | { bound: string };
    if ('bound' in parsed) return bound();
    all.push(parsed);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`notify-manager.py exited (${code})`))),
  );
  exited.catch(() => undefined);
  await Promise.race([ready, exited]);
  return {
    socket,
    all,
    async next(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = all.findIndex((m, k) => k >= consumed && match(m));
        if (i >= 0) {
          consumed = i + 1;
          return all[i]!;
        }
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`no matching notify message; got ${JSON.stringify(all.slice(consumed))}`);
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise<void>((r) => setTimeout(r, left).unref()),
          exited,
        ]);
      }
    },
    release() {
      child.stdin!.write('\n');
    },
    stop() {
      child.kill();
    },
  };
}
