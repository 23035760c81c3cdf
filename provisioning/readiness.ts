import type { SyncOptionsInput } from '../terminal/sync/index.js';
import { probeUplink, type UplinkCause } from './doctor/uplink-probe.js';
import { fetchFirstRegistry } from './first-registry.js';
import type { StatePaths } from './state-paths.js';
import type { ProvisionUi } from './ui.js';

export type Readiness =
  | { ready: true; registry: { version: number; units: number; scope: string } }
  | { ready: false; cause: UplinkCause | 'not_checked'; message: string; remedy: string };

/**
 * "Ready" means a terminal that can verify: it published through the broker with its own
 * credentials (the ACL let it), upstream answered, and it holds a registry imported under the
 * pinned root. Each way this fails has its own cause and remedy (doctor/uplink-probe.ts); the
 * probe runs first so a refused publish is reported at once instead of after the registry wait.
 */
export async function checkReadiness(
  ui: ProvisionUi,
  sync: SyncOptionsInput,
  ids: { storeId: string; terminalId: string },
  paths: StatePaths,
  timeouts: { probeMs: number; registryMs: number },
): Promise<Readiness> {
  if (timeouts.registryMs === 0)
    return {
      ready: false,
      cause: 'not_checked',
      message: 'readiness not checked (registryTimeoutMs 0)',
      remedy: 'run veriterm doctor once the terminal runs',
    };
  ui.info('checking the uplink: publish through the broker, answer from upstream …');
  const probe = await probeUplink(sync, { timeoutMs: timeouts.probeMs });
  if (!probe.ok) return { ready: false, cause: probe.cause, message: probe.message, remedy: probe.remedy };
  ui.success(`the broker accepted our publish and upstream answered (scope ${probe.scope})`);
  ui.info('fetching the registry from upstream …');
  const first = await fetchFirstRegistry(sync, ids, paths, timeouts.registryMs);
  if (!first.ok)
    return {
      ready: false,
      cause: 'no_registry',
      message: `upstream announced a release, but ${first.reason}`,
      remedy: 'start the terminal (it retries the transfer by itself), then run veriterm doctor',
    };
  ui.success(`registry v${first.version} of scope ${first.scope}: ${first.units} units`);
  return { ready: true, registry: { version: first.version, units: first.units, scope: first.scope } };
}
