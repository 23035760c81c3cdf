/**
 * The two-store stack of the journey tests: a spawned mosquitto, the reference upstream (in this
 * process, with the signed registry and its sold-unit delta builder), and per store a terminal
 * process whose MQTT link runs through a TCP proxy that can be cut (a store losing its network).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../../terminal/config/load-config.js';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import { hashPin } from '../../../terminal/http/auth/pin-hash.js';
import { loadOrCreateTerminalKey, TERMINAL_KEY_FILE } from '../../../terminal/identity/index.js';
import { createLogger } from '../../../terminal/logger.js';
import { pinRoot } from '../../../terminal/registry/pin.js';
import { createUpstream, type SqliteUpstream } from '../../../upstream/create-upstream.js';
import type { UpstreamOptionsInput } from '../../../upstream/options.js';
import { registryDeltaBuilder } from '../../../upstream/registry-delta-builder.js';
import { FileReleaseStorage } from '../../../upstream/storage/sqlite/file-releases.js';
import { freePort } from '../../helpers/free-port.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { startTcpProxy, type TcpProxy } from '../../integration/sync/tcp-proxy.js';
import {
  buildJourneyRegistry,
  type JourneyRegistry,
  publishSnapshot,
  type RegistryChange,
  RegistryDesk,
  SCOPE,
} from './registry-fixture.js';
import { PINS, TerminalProcess } from './terminal-process.js';

const DAY_MS = 86_400_000;

/**
 * Where the terminal has scan rate limits (config `http.limits`), they are lifted: after every step
 * the harness scans every code at once, far faster than a shopper at a kiosk page may. Added only
 * when the config schema knows the section (it is strict).
 */
const LIFTED_LIMITS = {
  scansPerSecond: 10_000,
  scanBurst: 100_000,
  anonymousScansPerSecond: 100_000,
  anonymousScanBurst: 1_000_000,
  verifyPerMinute: 1_000_000,
};
const httpLimits = validateConfig({ http: { limits: LIFTED_LIMITS } }).ok ? { limits: LIFTED_LIMITS } : {};

export interface StackOptions {
  staticDir?: string;
  terminalConfig?: Record<string, unknown>;
  /** More reference-upstream options (e.g. `transfers`). */
  upstreamOptions?: Partial<UpstreamOptionsInput>;
}

export interface Store {
  storeId: string;
  terminal: TerminalProcess;
  proxy: TcpProxy;
}

/** Polls `check` until truthy; on timeout throws naming what was awaited and `state()`. */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  options: { timeoutMs?: number; state?: () => unknown } = {},
): Promise<NonNullable<T>> {
  // Generous: a 2-core machine shared with other test runs can take seconds to reconnect a link.
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const state = options.state ? `; state: ${JSON.stringify(await options.state())}` : '';
      throw new Error(`timed out waiting for: ${what}${state}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export class StoreDayStack {
  readonly stores: Store[] = [];
  upstream!: SqliteUpstream;
  upstreamDb!: SqliteDatabase;
  registry!: JourneyRegistry;
  private broker!: MosquittoBroker;
  private desk!: RegistryDesk;
  private upstreamLog: string[] = [];
  /** Upstream's command key: signs commands and delivery notes; every terminal pins its public half. */
  private readonly commandKey = generateKeyPairSync('ed25519');

  private constructor(readonly dir: string) {}

  /**
   * Starts everything. `storeIds`: one terminal (`T1`, `T2` …) per store. `staticDir`: a built
   * kiosk-ui for page tests. `terminalConfig`: more top-level config sections for every terminal
   * (e.g. `receiving`).
   */
  static async start(dir: string, storeIds: string[], options: StackOptions = {}): Promise<StoreDayStack> {
    const stack = new StoreDayStack(dir);
    try {
      await stack.boot(storeIds, options);
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  private async boot(storeIds: string[], options: StackOptions): Promise<void> {
    this.broker = await startMosquitto({ dir: mkdir(join(this.dir, 'mosquitto')) });
    this.registry = await buildJourneyRegistry(mkdir(join(this.dir, 'authoring')));
    const upDir = mkdir(join(this.dir, 'upstream'));
    const releasesDir = join(upDir, 'registry');
    publishSnapshot(this.registry, releasesDir);
    this.desk = new RegistryDesk(this.registry, releasesDir, join(upDir, 'desk'));
    this.upstreamDb = openDatabase(join(upDir, 'upstream.db'));
    const lines = this.upstreamLog;
    this.upstream = createUpstream(
      {
        db: this.upstreamDb,
        logger: createLogger({
          level: 'warn',
          destination: {
            write: (chunk: string) => {
              lines.push(chunk.trimEnd());
              if (lines.length > 200) lines.shift();
              return true;
            },
          } as unknown as NodeJS.WritableStream,
        }),
        releasesDir,
        commandKey: this.commandKey.privateKey,
        deltaBuilder: registryDeltaBuilder({
          releases: new FileReleaseStorage(releasesDir),
          stateDir: upDir,
          root: this.registry.root,
          signingKeys: [this.registry.releaseKey],
          // The terminals' clocks run days ahead during a store day.
          expiresInMs: 5 * 365 * DAY_MS,
        }),
      },
      {
        brokerUrl: this.broker.url,
        clientId: `vt-upstream-${process.pid}`,
        deltaDebounceMs: 20,
        rescanMs: 1000,
        ...options.upstreamOptions,
      },
    );
    // Cheap scrypt parameters: terminals restart often in a store day; production uses the defaults.
    const cheap = { N: 1024, r: 8, p: 1 };
    const users = [
      { id: 'c1', role: 'cashier', pinHash: await hashPin(PINS.cashier, cheap) },
      { id: 'm1', role: 'manager', pinHash: await hashPin(PINS.manager, cheap) },
    ];
    for (const [i, storeId] of storeIds.entries()) {
      const terminalId = `T${i + 1}`;
      const dataDir = mkdir(join(this.dir, storeId));
      const identity = loadOrCreateTerminalKey(join(dataDir, TERMINAL_KEY_FILE));
      this.upstream.store.enrol(storeId, terminalId, identity.publicKeyPem);
      // Provisioning pins the chain's registry root before the first start (`veriterm registry pin`).
      const pinned = pinRoot(join(dataDir, 'registry.db'), this.registry.root, { scope: SCOPE });
      if (!pinned.ok) throw new Error(`pin failed: ${pinned.message}`);
      const proxy = await startTcpProxy(this.broker.port);
      const port = await freePort();
      const configFile = join(this.dir, `${storeId}.json`);
      TerminalProcess.writeConfig(configFile, {
        terminal: { storeId, terminalId, timeZone: 'UTC' },
        dataDir,
        http: { host: '127.0.0.1', port, ...httpLimits },
        // The clock moves days ahead during a run while the registry is built on real time.
        verify: { maxRegistryAgeMs: 365 * DAY_MS },
        auth: { sessionTtlMs: 400 * DAY_MS, users },
        sync: {
          brokerUrl: proxy.url,
          storeId,
          terminalId,
          reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
          drain: { pollIntervalMs: 50, ackTimeoutMs: 3000 },
          registry: { scopes: [SCOPE], requestTimeoutMs: 3000 },
          commands: {
            publicKeys: [this.commandKey.publicKey.export({ format: 'pem', type: 'spki' }).toString()],
          },
        },
        log: { level: 'warn' },
        ...options.terminalConfig,
      });
      const terminal = new TerminalProcess(
        storeId,
        terminalId,
        dataDir,
        configFile,
        port,
        identity.publicKeyPem,
        options.staticDir ? { STOREDAY_STATIC: options.staticDir } : {},
      );
      this.stores.push({ storeId, terminal, proxy });
    }
    await this.upstream.start();
    await Promise.all(this.stores.map((s) => s.terminal.start()));
    await this.settle();
  }

  store(storeId: string): Store {
    const store = this.stores.find((s) => s.storeId === storeId);
    if (!store) throw new Error(`no store ${storeId}`);
    return store;
  }

  /** Upstream's latest registry version. */
  async registryVersion(): Promise<number> {
    return (await this.upstream.publisher.current(SCOPE))?.version ?? 0;
  }

  /**
   * Links up; both outboxes drained and acknowledged; upstream has published every write-off and
   * return it ingested; both terminals hold upstream's latest registry version.
   */
  async settle(): Promise<void> {
    for (const s of this.stores) this.setLink(s.storeId, true);
    const state = () => this.syncState();
    await until(
      () =>
        this.stores.every((s) => {
          const { headSeq, pending } = s.terminal.outbox();
          return pending === 0 && this.upstream.store.lastSeq(s.storeId, s.terminal.terminalId) === headSeq;
        }),
      'both outboxes acknowledged',
      { state },
    );
    await until(
      () => this.upstream.store.unpublishedUnitEvents(1).length === 0,
      'upstream published every unit event',
      {
        state,
      },
    );
    await this.registryAt(await this.registryVersion(), this.stores, state);
  }

  /** Publishes a registry delta; waits until every store whose link is up holds it. */
  async publish(change: RegistryChange): Promise<number> {
    const version = await this.desk.publish(change, (await this.upstream.publisher.current(SCOPE))!);
    await this.upstream.publisher.announceAll();
    const online = this.stores.filter((s) => !this.cut.has(s.storeId));
    await this.registryAt(version, online, () => this.syncState());
    return version;
  }

  private readonly cut = new Set<string>();

  setLink(storeId: string, up: boolean): void {
    const { proxy } = this.store(storeId);
    if (up) {
      proxy.restore();
      this.cut.delete(storeId);
    } else {
      proxy.cut();
      this.cut.add(storeId);
    }
  }

  /** What settle waits for, for its timeout message. */
  async syncState(): Promise<unknown> {
    return {
      upstreamVersion: await this.registryVersion(),
      unpublished: this.upstream.store.unpublishedUnitEvents(5).length,
      terminals: await Promise.all(
        this.stores.map(async (s) => ({
          store: s.storeId,
          ...s.terminal.outbox(),
          upstreamSeq: this.upstream.store.lastSeq(s.storeId, s.terminal.terminalId),
          registry: await this.versionOf(s).catch((e: Error) => e.message),
        })),
      ),
      upstreamLog: this.upstreamLog.slice(-5),
    };
  }

  upstreamLogTail(): string[] {
    return [...this.upstreamLog];
  }

  private async registryAt(version: number, stores: Store[], state: () => unknown): Promise<void> {
    await until(
      async () => (await Promise.all(stores.map((s) => this.versionOf(s)))).every((v) => v >= version),
      `registry version ${version} at ${stores.map((s) => s.storeId).join(', ')}`,
      { state },
    );
  }

  private async versionOf(s: Store): Promise<number> {
    const answer = await s.terminal.overview();
    if (answer.body.status !== 'ok')
      throw new Error(`overview at ${s.storeId}: ${JSON.stringify(answer.body)}`);
    return answer.body.data.registry?.version ?? 0;
  }

  async close(): Promise<void> {
    for (const s of this.stores) await s.terminal.kill().catch(() => undefined);
    await this.upstream?.stop().catch(() => undefined);
    for (const s of this.stores) await s.proxy.close();
    this.desk?.close();
    this.upstreamDb?.close();
    await this.broker?.stop();
  }
}

function mkdir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
