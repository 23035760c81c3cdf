import { openDatabase } from '../db/open-database.js';
import { RegistryError, type RegistryRefusal } from './errors.js';
import { loadPinnedRoot, writeTrust } from './import.js';
import { parseRoot, type RootMetadata, verifyRootChain, verifyRootStep } from './root.js';
import { migrateRegistry } from './schema.js';
import type { RegistryStore } from './store.js';

export interface PinOptions {
  /** Scope this terminal accepts; stored with the root. */
  scope?: string;
  /**
   * Replace a stored root that the new one does not chain from (re-provisioning). Without it,
   * a different root is accepted only as the next link of the stored chain.
   */
  replace?: boolean;
  now?: Date;
}

export type PinResult = { ok: true; rootVersion: number; changed: boolean } | RegistryRefusal;

/**
 * Pins a root of trust in the registry database, atomically. The root must be signed by a
 * threshold of its own root keys and not be expired.
 */
export function pinRoot(
  store: RegistryStore | string,
  input: RootMetadata | string,
  options: PinOptions = {},
): PinResult {
  const now = options.now ?? new Date();
  const db = openDatabase(typeof store === 'string' ? store : store.file);
  try {
    migrateRegistry(db);
    const root = loadPinnedRoot(input);
    verifyRootStep(undefined, root, now);
    if (Date.parse(root.signed.expires) <= now.getTime()) {
      throw new RegistryError('expired', `root v${root.signed.version} expired at ${root.signed.expires}`);
    }
    return db
      .transaction((): PinResult => {
        const row = db.prepare('SELECT root, scope FROM registry_trust WHERE id = 1').get() as
          | { root: string; scope: string | null }
          | undefined;
        const scope = options.scope ?? row?.scope ?? null;
        if (row) {
          const stored = parseRoot(row.root);
          const same = JSON.stringify(stored) === JSON.stringify(root);
          if (same && scope === row.scope)
            return { ok: true, rootVersion: root.signed.version, changed: false };
          if (!same && !options.replace) {
            if (root.signed.version <= stored.signed.version) {
              throw new RegistryError(
                'rollback',
                `root v${root.signed.version} is not newer than the pinned v${stored.signed.version}`,
              );
            }
            verifyRootChain(stored, [root], now);
            if (root.signed.version !== stored.signed.version + 1) {
              throw new RegistryError(
                'root_not_trusted',
                `root v${root.signed.version} does not follow the pinned v${stored.signed.version}`,
              );
            }
          }
          if (options.replace && !same) {
            // A new trust anchor invalidates what the old one vouched for.
            db.exec(
              'DELETE FROM registry_units; DELETE FROM registry_batches; DELETE FROM registry_products; DELETE FROM registry_state;',
            );
          }
        }
        writeTrust(db, root, scope, now);
        return { ok: true, rootVersion: root.signed.version, changed: true };
      })
      .immediate();
  } catch (error) {
    if (error instanceof RegistryError) return { ok: false, code: error.code, message: error.message };
    throw error;
  } finally {
    db.close();
  }
}
