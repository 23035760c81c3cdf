import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDED_LOGINS_DIR, issueEmbeddedLogin } from './embedded-broker-logins.js';
import { UPSTREAM_LAYOUT } from './start-upstream.js';

/**
 * `veriterm upstream run --embedded-broker`: the logins of the embedded broker under
 * `{dataDir}/broker-logins/`: the upstream's own, and one per terminal listed in terminals.json
 * (each file is that terminal's `sync.credentialsFile`).
 */
export function issueEmbeddedLogins(dataDir: string): {
  dir: string;
  upstream: { username: string; password: string };
} {
  const dir = join(dataDir, EMBEDDED_LOGINS_DIR);
  const upstream = issueEmbeddedLogin(dir, { role: 'upstream' });
  const terminalsFile = join(dataDir, UPSTREAM_LAYOUT.terminals);
  if (existsSync(terminalsFile)) {
    const terminals = JSON.parse(readFileSync(terminalsFile, 'utf8')) as {
      storeId: string;
      terminalId: string;
    }[];
    for (const t of terminals)
      issueEmbeddedLogin(dir, { role: 'terminal', storeId: t.storeId, terminalId: t.terminalId });
  }
  return { dir, upstream: { username: upstream.username, password: upstream.password } };
}
