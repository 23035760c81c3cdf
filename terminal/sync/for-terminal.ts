import { join } from 'node:path';
import type { HealthModel } from '../health/health-model.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import { receiveDeliveryNotes } from '../receiving/note-downlink.js';
import { ReceivingStore } from '../receiving/receiving-store.js';
import type { ImportTrust } from '../registry/import.js';
import { RegistryStore } from '../registry/store.js';
import type { RegistryReader } from '../registry/types.js';
import { createSync, type Sync, type SyncDeps } from './create-sync.js';
import type { SyncOptionsInput } from './options.js';
import { registryStoreApplier } from './registry-applier.js';

/** The parts of the running terminal (terminal/main.ts `TerminalCore`) the link needs. */
export interface TerminalSyncParts {
  config: { dataDir: string };
  logger: Logger;
  ledger: Ledger;
  registry: RegistryReader;
  health: HealthModel;
}

/**
 * Builds the upstream link for the composition root from the running core: the ledger's outbox
 * (sync's own tables live in the same database), the registry store as update target (when it is
 * a `RegistryStore`), the health model as reporter and as the status document's summary.
 * Call `start()` after the HTTP server is up and `stop()` before closing the ledger.
 */
export function createTerminalSync(
  core: TerminalSyncParts,
  options: SyncOptionsInput,
  extra: Pick<SyncDeps, 'onReloadConfig' | 'collectLogs'> & { registryTrust?: ImportTrust } = {},
): Sync {
  return createSync(
    {
      outbox: core.ledger,
      db: core.ledger.db,
      logger: core.logger,
      health: core.health,
      ...(core.registry instanceof RegistryStore
        ? { registry: registryStoreApplier(core.registry, extra.registryTrust ?? {}) }
        : {}),
      stagingDir: join(core.config.dataDir, 'sync-staging'),
      healthSummary: () => {
        const snapshot = core.health.snapshot();
        return {
          level: snapshot.level,
          // `code` and `params` (health/reason-codes.ts) let upstream word the reason in its own
          // language; `params` is left out when the code has none, as in the health snapshot.
          items: snapshot.items.map((i) => ({
            component: i.component,
            level: i.level,
            code: i.code,
            ...(i.params ? { params: i.params } : {}),
            reason: i.reason,
            since: i.since,
          })),
        };
      },
      healthReport: () => core.health.snapshot(),
      // Delivery notes go into terminal.db beside the ledger and sync's nonces (docs/receiving.md).
      deliveries: receiveDeliveryNotes(new ReceivingStore(core.ledger.db)),
      ...(extra.onReloadConfig ? { onReloadConfig: extra.onReloadConfig } : {}),
      ...(extra.collectLogs ? { collectLogs: extra.collectLogs } : {}),
    },
    options,
  );
}
