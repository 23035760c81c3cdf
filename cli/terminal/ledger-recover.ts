import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfigIssues, loadConfigFile } from '../../terminal/config/load-config.js';
import { VeritermError } from '../../terminal/errors.js';
import { loadOrCreateTerminalKey, TERMINAL_KEY_FILE } from '../../terminal/identity/index.js';
import { ledgerPresence } from '../../terminal/ledger/anchor.js';
import { writeRecoveredLedger } from '../../terminal/ledger/recovered-ledger.js';
import { createLogger } from '../../terminal/logger.js';
import { fetchUpstreamLedger } from '../../terminal/sync/ledger-recovery-client.js';
import { syncOptionsFromConfig } from '../../terminal/sync/options-from-config.js';
import type { CommandIo } from '../args.js';

/** Whether an upstream-enrolled public key (SPKI PEM) is this terminal's key. */
function sameKey(pem: string, identityPem: string): boolean {
  const der = (p: string) => createPublicKey(p).export({ format: 'der', type: 'spki' });
  try {
    return der(pem).equals(der(identityPem));
  } catch {
    return false;
  }
}

/**
 * `veriterm ledger recover --config FILE`: rebuilds a lost terminal.db from upstream's copy of the
 * chain (docs/operations.md "Ledger loss"). Refuses when the ledger is present, when the terminal
 * key is gone (nothing could continue the chain), when upstream enrolled another key, and when
 * upstream cannot be reached.
 */
export async function recoverLedger(
  configFile: string | undefined,
  io: CommandIo,
  timeoutMs?: number,
): Promise<number> {
  if (!configFile) {
    io.stderr.write(
      'veriterm ledger recover: --config FILE is required (the config this terminal runs with)\n',
    );
    return 2;
  }
  const loaded = loadConfigFile(configFile);
  if (!loaded.ok) {
    io.stderr.write(
      `veriterm ledger recover: ${configFile} has bad fields:\n${formatConfigIssues(loaded.issues)}\n`,
    );
    return 1;
  }
  const config = loaded.config;
  const keyFile = join(config.dataDir, TERMINAL_KEY_FILE);
  if (!existsSync(keyFile)) {
    throw new VeritermError(
      'identity_missing',
      `No terminal key at ${keyFile}: without it no ledger can continue this terminal's chain. Provision the terminal anew (veriterm provision) instead`,
    );
  }
  const presence = ledgerPresence(config.dataDir);
  if (presence.state === 'present') {
    throw new VeritermError(
      'ledger_present',
      `${presence.dbFile} is this terminal's ledger (it matches ${presence.anchorFile}): nothing to recover`,
    );
  }
  if (presence.state === 'unanchored' && existsSync(presence.dbFile)) {
    throw new VeritermError(
      'ledger_present',
      `${presence.dbFile} exists and no anchor says it was lost: move it aside first if it really is not this terminal's ledger`,
    );
  }
  if (!config.sync) {
    throw new VeritermError(
      'sync_missing',
      `${configFile} has no sync section: recovery needs upstream's copy of the ledger`,
    );
  }
  const identity = loadOrCreateTerminalKey(keyFile);
  const { storeId, terminalId } = config.terminal;
  const logger = createLogger({ level: process.env.VERITERM_LOG_LEVEL ?? 'warn' });
  io.stdout.write(`ledger recover: asking upstream for its copy of ${storeId}/${terminalId}'s ledger…\n`);
  const upstream = await fetchUpstreamLedger(syncOptionsFromConfig(config.sync), logger, timeoutMs);
  if (!sameKey(upstream.tip.publicKey, identity.publicKeyPem)) {
    throw new VeritermError(
      'ledger_key_mismatch',
      `Upstream enrolled another key for ${storeId}/${terminalId} than ${keyFile} (key ${identity.keyId}): records signed with it would be refused. Provision the terminal anew instead`,
    );
  }
  const recovered = writeRecoveredLedger({
    dataDir: config.dataDir,
    identity,
    storeId,
    terminalId,
    base: { seq: upstream.tip.seq, hash: upstream.tip.hash },
    writeOffs: upstream.writeOffs,
  });
  io.stdout.write(
    [
      `ledger recover: new ledger at ${join(config.dataDir, 'terminal.db')}`,
      `  continues upstream's chain after seq ${upstream.tip.seq} (hash ${upstream.tip.hash.slice(0, 16)}…)`,
      `  first record: seq ${recovered.record.seq}, alert ledger_recovered (sent upstream when the terminal starts)`,
      `  write-offs restored from upstream: ${recovered.restoredWriteOffs} (those codes stay already sold here)`,
      ...(recovered.movedAside ? [`  the unusable database was moved to ${recovered.movedAside}`] : []),
      "  records the lost ledger held beyond upstream's copy are gone; upstream never had them either.",
      `  start the terminal again: veriterm run --config ${configFile}`,
      '',
    ].join('\n'),
  );
  return 0;
}
