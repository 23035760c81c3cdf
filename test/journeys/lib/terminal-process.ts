/**
 * One store's terminal as a child process (terminal-child.ts), driven through its HTTP API the
 * way the pages drive it: anonymous kiosk verification, cashier sign-in by PIN, checkout checks,
 * sales and returns with a manager's PIN, the manager's overview. The process can be SIGKILLed
 * and started again on the same data directory, port and clock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { LedgerReads } from '../../../terminal/ledger/ledger-reads.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';

const CHILD = join(import.meta.dirname, 'terminal-child.ts');
/** Inside the worktree so the bundle resolves node_modules (and native addons) as the sources do. */
const BUNDLE_DIR = join(import.meta.dirname, '..', '..', 'artifacts');
let bundle: Promise<string> | undefined;

/**
 * The child script bundled into one ES module (vite's SSR build: packages stay external, so the
 * native addons load as they do from the sources): a terminal then starts on half the CPU of
 * loading every TypeScript file through tsx, which matters when a store day restarts terminals
 * dozens of times on a 2-core machine. `STOREDAY_TSX=1` runs the sources through tsx instead.
 */
export function childEntry(): Promise<string[]> {
  if (process.env.STOREDAY_TSX === '1') return Promise.resolve(['--import', 'tsx', CHILD]);
  bundle ??= (async () => {
    const outDir = join(BUNDLE_DIR, `storeday-terminal-${process.pid}`);
    const { build } = await import('vite');
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        ssr: CHILD,
        outDir,
        emptyOutDir: true,
        target: 'node20',
        minify: false,
        // One file, modules in import order: clock-shift.ts must run before anything else.
        rollupOptions: {
          output: { format: 'es', entryFileNames: 'terminal.mjs', codeSplitting: false },
        },
      },
    });
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    return join(outDir, 'terminal.mjs');
  })();
  return bundle.then((file) => [file]);
}

const DAY_MS = 86_400_000;
export const PINS = { cashier: '2468', manager: '1357', wrong: '0000' } as const;

export interface KioskVerdict {
  verdict: string;
  reason: string;
  sold?: { storeId: string };
}

export interface HttpAnswer<T = unknown> {
  status: number;
  body:
    | { status: 'ok'; data: T }
    | { status: 'error'; error: { code: string; message: string } & Record<string, unknown> };
}

export class TerminalProcess {
  private child: ChildProcess | undefined;
  private output = '';
  /** Output of the processes before this one (restarts). */
  private previous = '';
  private cashierToken = '';
  private managerToken = '';
  private socket: WebSocket | undefined;
  private nextScanId = 1;
  private readonly waiting = new Map<number, (m: KioskVerdict) => void>();
  /** How far this terminal's clock runs ahead of real time. */
  clockOffsetMs = 0;
  url: string;

  constructor(
    readonly storeId: string,
    readonly terminalId: string,
    readonly dataDir: string,
    private readonly configFile: string,
    readonly port: number,
    /** The key upstream enrolled (SPKI PEM): the ledger must verify with it. */
    readonly publicKeyPem: string,
    private readonly env: Record<string, string> = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Writes the config file (JSON, the production format). */
  static writeConfig(file: string, config: Record<string, unknown>): void {
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [...(await childEntry()), this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.env, STOREDAY_CLOCK_OFFSET_MS: String(this.clockOffsetMs) },
    });
    this.child = child;
    this.previous = (this.previous + this.output).slice(-16_000);
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-32_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + 60_000;
    while (!this.output.includes('listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`terminal ${this.storeId} did not start:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    this.cashierToken = await this.signIn('c1', PINS.cashier);
    this.managerToken = await this.signIn('m1', PINS.manager);
  }

  /** SIGKILL: no goodbye; whatever was durable stays, the rest is lost. */
  async kill(): Promise<void> {
    this.closeSocket();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    this.closeSocket();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** Moves the terminal's wall clock `days` forward (clock-shift.ts), effective before this resolves. */
  async advanceClock(days: number): Promise<void> {
    this.clockOffsetMs += days * DAY_MS;
    const child = this.child!;
    const acked = new Promise<void>((resolve) => {
      const onMessage = (m: { type?: string; offsetMs?: number }) => {
        if (m?.type === 'clock' && m.offsetMs === this.clockOffsetMs) {
          child.off('message', onMessage);
          resolve();
        }
      };
      child.on('message', onMessage);
    });
    child.send({ type: 'clock', offsetMs: this.clockOffsetMs });
    await acked;
  }

  /** The last lines the process wrote (for failure reports). */
  log(): string {
    return `${this.previous}${this.previous ? '--- restarted ---\n' : ''}${this.output}`;
  }

  async call<T>(method: string, path: string, body?: unknown, token?: string): Promise<HttpAnswer<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as HttpAnswer<T>['body'] };
  }

  /** The kiosk: anonymous, as the kiosk page. */
  verify(scan: string) {
    return this.call<KioskVerdict>('POST', '/api/v1/verify', { data: scan });
  }

  /**
   * The kiosk page's way: scans over its WebSocket (`{type:'scan'}`, answered by a `verdict` with
   * `replyTo`), many in flight on one connection; answers in the order of `scans`.
   */
  async kioskScans(scans: readonly string[]): Promise<KioskVerdict[]> {
    const socket = await this.openSocket();
    return Promise.all(
      scans.map(
        (data) =>
          new Promise<KioskVerdict>((resolve, reject) => {
            const id = this.nextScanId++;
            const timer = setTimeout(() => {
              this.waiting.delete(id);
              reject(
                new Error(`no verdict over the WebSocket at ${this.storeId} for ${JSON.stringify(data)}`),
              );
            }, 30_000);
            this.waiting.set(id, (m) => {
              clearTimeout(timer);
              resolve(m);
            });
            socket.send(JSON.stringify({ type: 'scan', id, data, source: 'wedge' }));
          }),
      ),
    );
  }

  private async openSocket(): Promise<WebSocket> {
    if (this.socket?.readyState === WebSocket.OPEN) return this.socket;
    this.closeSocket();
    const socket = new WebSocket(`${this.url.replace('http', 'ws')}/api/v1/ws`);
    this.socket = socket;
    socket.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as {
        type: string;
        replyTo?: number;
        data?: KioskVerdict;
        error?: unknown;
      };
      if (m.replyTo === undefined) return;
      const resolve = this.waiting.get(m.replyTo);
      this.waiting.delete(m.replyTo);
      resolve?.(m.type === 'verdict' ? m.data! : { verdict: 'error', reason: JSON.stringify(m.error) });
    });
    socket.on('error', () => undefined);
    await once(socket, 'open');
    return socket;
  }

  private closeSocket(): void {
    this.socket?.terminate();
    this.socket = undefined;
  }

  /** The checkout lane's basket check. */
  check(scan: string) {
    return this.call<{ verdict: string; reason: string; sellable: boolean; overridable: boolean }>(
      'POST',
      '/api/v1/checkout/check',
      { data: scan },
      this.cashierToken,
    );
  }

  sale(body: unknown) {
    return this.call<{ saleId: string; writeOffs: { codeKey: string }[]; replayed: boolean }>(
      'POST',
      '/api/v1/sales',
      body,
      this.cashierToken,
    );
  }

  returnUnits(body: unknown) {
    return this.call<{ returnId: string; lines: { codeKey: string }[]; replayed: boolean }>(
      'POST',
      '/api/v1/returns',
      body,
      this.cashierToken,
    );
  }

  overview() {
    return this.call<{ registry?: { version: number } }>(
      'GET',
      '/api/v1/manager/overview',
      undefined,
      this.managerToken,
    );
  }

  /** The terminal's ledger, read from its database file (read-only, beside the running process). */
  records(): LedgerRecord[] {
    const db = openDatabase(join(this.dataDir, 'terminal.db'), { readonly: true });
    try {
      return [...new LedgerReads(db).iterate(0)];
    } finally {
      db.close();
    }
  }

  /** Head sequence and outbox rows not yet acknowledged by upstream. */
  outbox(): { headSeq: number; pending: number } {
    const db = openDatabase(join(this.dataDir, 'terminal.db'), { readonly: true });
    try {
      const reads = new LedgerReads(db);
      return { headSeq: reads.headSeq(), pending: reads.stats().pending };
    } finally {
      db.close();
    }
  }

  private async signIn(user: string, pin: string): Promise<string> {
    const answer = await this.call<{ token: string }>('POST', '/api/v1/auth/sign-in', { user, pin });
    if (answer.body.status !== 'ok')
      throw new Error(`sign-in of ${user} at ${this.storeId} failed: ${JSON.stringify(answer.body)}`);
    return answer.body.data.token;
  }
}
