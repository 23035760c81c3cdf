import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../terminal/logger.js';
import { parseManifest } from '../terminal/registry/manifest.js';
import type { RootMetadata } from '../terminal/registry/root.js';
import { bodyFileFor } from '../terminal/registry/writer.js';
import type { Sync } from '../terminal/sync/create-sync.js';
import { createTerminalSync, type TerminalSyncParts } from '../terminal/sync/for-terminal.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import { EMBEDDED_LOGINS_DIR, issueEmbeddedLogin } from './embedded-broker-logins.js';
import { type StartedUpstream, startUpstream, UPSTREAM_LAYOUT } from './start-upstream.js';

export interface DemoUpstream extends StartedUpstream {
  broker: EmbeddedBroker;
  /** What the demo terminal's `sync` config needs. */
  terminalSyncOptions: (
    storeId: string,
    terminalId: string,
  ) => {
    brokerUrl: string;
    storeId: string;
    terminalId: string;
    /** The terminal's broker login (0600 JSON `{ username, password }` in the upstream data dir). */
    credentialsFile: string;
    registry: { scopes: string[] };
    commands: { publicKeys: string[] };
  };
}

/**
 * For `npm start`: an embedded aedes broker plus the reference upstream in this process, publishing
 * the demo registry (its signed snapshot, and sold-unit deltas signed with the demo release key).
 * `registryDir` is the directory `createDemoRegistry` wrote (root.json, release.key, demo-1.*).
 * The broker listens on 127.0.0.1 and admits only the logins made here: the upstream's and one
 * per listed terminal (random passwords kept in `{dataDir}/broker-logins/`).
 */
export async function startDemoUpstream(input: {
  dataDir: string;
  registryDir: string;
  manifestFile: string;
  scope: string;
  logger: Logger;
  terminals: { storeId: string; terminalId: string; publicKey: string }[];
  brokerPort?: number;
}): Promise<DemoUpstream> {
  const loginsDir = join(input.dataDir, EMBEDDED_LOGINS_DIR);
  const upstreamLogin = issueEmbeddedLogin(loginsDir, { role: 'upstream' });
  for (const t of input.terminals) issueEmbeddedLogin(loginsDir, { role: 'terminal', ...t });
  const broker = await startEmbeddedBroker({ port: input.brokerPort ?? 0, loginsDir });
  const version = parseManifest(readFileSync(input.manifestFile, 'utf8')).signed.version;
  const snapDir = join(input.dataDir, UPSTREAM_LAYOUT.releases, input.scope, `snapshot-${version}`);
  if (!existsSync(snapDir)) {
    mkdirSync(snapDir, { recursive: true });
    copyFileSync(input.manifestFile, join(snapDir, basename(input.manifestFile)));
    const body = bodyFileFor(input.manifestFile);
    copyFileSync(body, join(snapDir, basename(body)));
  }
  const keysDir = join(input.dataDir, UPSTREAM_LAYOUT.registryKeys);
  mkdirSync(keysDir, { recursive: true });
  for (const f of ['root.json', 'release.key']) {
    if (!existsSync(join(keysDir, f))) copyFileSync(join(input.registryDir, f), join(keysDir, f));
  }
  let started: StartedUpstream;
  try {
    started = await startUpstream({
      dataDir: input.dataDir,
      logger: input.logger.child({ module: 'demo-upstream' }),
      // aedes: MQTT 3.1.1 and no shared subscriptions.
      options: {
        brokerUrl: broker.url,
        protocol: '3.1.1',
        shareGroup: '',
        username: upstreamLogin.username,
        password: upstreamLogin.password,
      },
      terminals: input.terminals,
    });
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return {
    ...started,
    broker,
    terminalSyncOptions: (storeId, terminalId) => ({
      brokerUrl: broker.url,
      storeId,
      terminalId,
      credentialsFile: issueEmbeddedLogin(loginsDir, { role: 'terminal', storeId, terminalId }).file,
      registry: { scopes: [input.scope] },
      commands: { publicKeys: [started.commandPublicKeyPem] },
    }),
    async stop() {
      await started.stop();
      await broker.stop();
    },
  };
}

/** The parts of a running demo (terminal/demo `RunningDemo`) the upstream link needs. */
export interface DemoTerminalParts {
  terminal: TerminalSyncParts & {
    config: { dataDir: string; terminal: { storeId: string; terminalId: string } };
    ledger: TerminalSyncParts['ledger'];
    /** Health's view of the link (clock tile, recent errors): RunningTerminal.watchSync. */
    watchSync?(sync: Pick<Sync, 'events'>): () => void;
  };
  registry: { dir: string; manifestFile: string; scope: string; root: RootMetadata };
}

/**
 * `npm start`'s upstream half: embedded broker + reference upstream (data in `{dataDir}/upstream`)
 * and the demo terminal linked to it. Call after `startDemo()`; `stop()` before `demo.stop()`.
 */
export async function linkDemoUpstream(
  demo: DemoTerminalParts,
  logger: Logger,
  options: { brokerPort?: number } = {},
): Promise<{ brokerUrl: string; sync: Sync; upstream: DemoUpstream; stop(): Promise<void> }> {
  const { storeId, terminalId } = demo.terminal.config.terminal;
  const upstream = await startDemoUpstream({
    dataDir: join(demo.terminal.config.dataDir, 'upstream'),
    registryDir: demo.registry.dir,
    manifestFile: demo.registry.manifestFile,
    scope: demo.registry.scope,
    logger,
    terminals: [{ storeId, terminalId, publicKey: demo.terminal.ledger.identity.publicKeyPem }],
    ...(options.brokerPort !== undefined ? { brokerPort: options.brokerPort } : {}),
  });
  const sync = createTerminalSync(demo.terminal, upstream.terminalSyncOptions(storeId, terminalId), {
    registryTrust: { pinnedRoot: demo.registry.root },
  });
  // Without this the clock tile said "not yet compared" while acks carrying upstream's time arrived.
  const unwatch = demo.terminal.watchSync?.(sync);
  await sync.start();
  return {
    brokerUrl: upstream.broker.url,
    sync,
    upstream,
    async stop() {
      unwatch?.();
      await sync.stop();
      await upstream.stop();
    },
  };
}
