import { existsSync } from 'node:fs';
import { openDatabase } from '../terminal/db/open-database.js';
import { loadOrCreateTerminalKey } from '../terminal/identity/index.js';
import { Ledger } from '../terminal/ledger/index.js';
import { silentLogger } from '../terminal/logger.js';
import { RegistryStore } from '../terminal/registry/index.js';
import type { SyncOptionsInput } from '../terminal/sync/index.js';
import { createSync } from '../terminal/sync/index.js';
import { registryStoreApplier } from '../terminal/sync/registry-applier.js';
import { syncOptionsFromConfig } from './broker-credentials.js';
import type { StatePaths } from './state-paths.js';

export type FirstRegistry =
  | { ok: true; version: number; units: number; scope: string }
  | { ok: false; reason: string };

/**
 * Fetches the registry the first time, with the terminal's own link and credentials (terminal/sync
 * registry transfer → importRelease under the root pinned at enrolment), so the terminal leaves
 * the technician able to say "genuine". Not getting one in time is not a failure: the running
 * terminal keeps asking; doctor shows it as WARN.
 */
export async function fetchFirstRegistry(
  sync: SyncOptionsInput,
  ids: { storeId: string; terminalId: string },
  paths: StatePaths,
  timeoutMs: number,
): Promise<FirstRegistry> {
  if (!existsSync(paths.terminalKey)) return { ok: false, reason: 'no terminal key' };
  const db = openDatabase(paths.terminalDb);
  const store = RegistryStore.open(paths.registryDb);
  const ledger = new Ledger({ db, identity: loadOrCreateTerminalKey(paths.terminalKey), ...ids });
  const link = createSync(
    {
      outbox: ledger,
      db,
      logger: silentLogger(),
      registry: registryStoreApplier(store),
      stagingDir: paths.syncStaging,
    },
    syncOptionsFromConfig(sync),
  );
  try {
    await link.start();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = store.state();
      if (state) return { ok: true, version: state.version, units: state.units, scope: state.scope };
      if (Date.now() > deadline) {
        const transfer = link.status().transfers[0];
        const why =
          link.status().link === 'down'
            ? 'no link to the broker'
            : transfer
              ? JSON.stringify(transfer)
              : 'upstream announced no release';
        return { ok: false, reason: `no registry within ${Math.round(timeoutMs / 1000)} s (${why})` };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await link.stop();
    store.close();
    ledger.close();
    db.close();
  }
}
