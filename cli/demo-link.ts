import { join } from 'node:path';
import type { Logger } from '../terminal/logger.js';
import type { RootMetadata } from '../terminal/registry/root.js';
import type { Sync } from '../terminal/sync/create-sync.js';
import { createTerminalSync, type TerminalSyncParts } from '../terminal/sync/for-terminal.js';
import { type DemoUpstream, startDemoUpstream } from '../upstream/start-demo-upstream.js';

// Composition, not upstream: linking the demo terminal's sync to the reference upstream builds a
// terminal service, and upstream/ may not import terminal/sync beyond the link and protocol
// (docs/testing.md "Layering"). `veriterm demo` (cli/demo-command.ts) and the demo tests call it.

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
