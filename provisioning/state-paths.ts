import { join } from 'node:path';
import { TERMINAL_KEY_FILE } from '../terminal/identity/index.js';

/**
 * Machine-written state under the data directory. None of it belongs in the human-edited config:
 * the config only names the data directory (and, for sync, these paths).
 */
export function statePaths(dataDir: string) {
  return {
    dataDir,
    /** Ed25519 terminal key, 0600 (terminal/identity). */
    terminalKey: join(dataDir, TERMINAL_KEY_FILE),
    /** Registry database holding the pinned root (terminal/registry pinRoot). */
    registryDb: join(dataDir, 'registry.db'),
    /** Ledger + outbox database (terminal/main.ts). */
    terminalDb: join(dataDir, 'terminal.db'),
    credentialsDir: join(dataDir, 'credentials'),
    /** `{ username, password }`, 0600. */
    brokerCredentials: join(dataDir, 'credentials', 'broker.json'),
    brokerCa: join(dataDir, 'credentials', 'broker-ca.pem'),
    clientCert: join(dataDir, 'credentials', 'client.crt'),
    clientKey: join(dataDir, 'credentials', 'client.key'),
    /** `{ commandKeys: [...] }`: upstream's command keys from the grant (trust anchors, machine-written). */
    upstreamKeys: join(dataDir, 'credentials', 'upstream-keys.json'),
    /** What enrolment established (ids, role, scope, root fingerprint, broker URL, command keys). */
    enrolment: join(dataDir, 'enrolment.json'),
    /** Partial registry downloads (terminal/sync stagingDir). */
    syncStaging: join(dataDir, 'sync-staging'),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
