import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../terminal/logger.js';
import { parseManifest } from '../terminal/registry/manifest.js';
import { bodyFileFor } from '../terminal/registry/writer.js';
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
