import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatConfigIssues, loadConfigFile } from '../terminal/config/index.js';
import { VeritermError } from '../terminal/errors.js';
import { loadOrCreateTerminalKey } from '../terminal/identity/index.js';
import { Ledger } from '../terminal/ledger/index.js';
import { PROTOCOL_VERSION } from '../terminal/sync/protocol.js';
import { terminalTopics } from '../terminal/sync/topics.js';
import { syncOptionsFromConfig } from './broker-credentials.js';
import { connect } from './enrol-client.js';
import { statePaths } from './state-paths.js';

export interface DecommissionOptions {
  configFile: string;
  /** Wipe even with unsynced records or an unreachable broker (the records are lost). */
  force?: boolean;
  timeoutMs?: number;
  log: (line: string) => void;
}

export interface DecommissionResult {
  unsynced: number;
  statusPublished: boolean;
  wiped: string[];
}

/**
 * `veriterm decommission`: refuses while the outbox holds records upstream has not acknowledged
 * (they would be lost with the keys that sign them), publishes a retained final status so
 * upstream stops expecting the terminal, then wipes the key (overwritten first), credentials,
 * pinned root, databases and the config file.
 */
export async function decommission(options: DecommissionOptions): Promise<DecommissionResult> {
  const loaded = loadConfigFile(options.configFile);
  if (!loaded.ok)
    throw new VeritermError(
      'bad_config',
      `cannot decommission: ${options.configFile} is invalid:\n${formatConfigIssues(loaded.issues)}`,
    );
  const config = loaded.config;
  const paths = statePaths(config.dataDir);
  const { storeId, terminalId } = config.terminal;

  let unsynced = 0;
  let oldest: string | undefined;
  if (existsSync(paths.terminalDb) && existsSync(paths.terminalKey)) {
    const ledger = new Ledger({
      file: paths.terminalDb,
      identity: loadOrCreateTerminalKey(paths.terminalKey),
      storeId,
      terminalId,
    });
    try {
      const stats = ledger.stats();
      unsynced = stats.pending;
      oldest = stats.oldestPendingAt;
    } finally {
      ledger.close();
    }
  }
  if (unsynced > 0 && !options.force) {
    throw new VeritermError(
      'unsynced',
      `${unsynced} record(s) have not reached upstream (oldest ${oldest ?? '?'}): start the terminal with upstream reachable until they drain (veriterm doctor shows the link), or pass --force to lose them`,
    );
  }
  if (unsynced > 0) options.log(`WARN ${unsynced} unsynced record(s) will be lost (--force)`);

  let statusPublished = false;
  if (config.sync) {
    try {
      const sync = syncOptionsFromConfig(config.sync);
      const client = await connect(
        {
          brokerUrl: sync.brokerUrl,
          timeoutMs: options.timeoutMs ?? 5000,
          ...(sync.username !== undefined ? { username: sync.username } : {}),
          ...(sync.password !== undefined ? { password: sync.password } : {}),
          ...(sync.tls?.caFile ? { caFile: sync.tls.caFile } : {}),
          tls: {
            ...(sync.tls?.certFile ? { cert: readFileSync(sync.tls.certFile) } : {}),
            ...(sync.tls?.keyFile ? { key: readFileSync(sync.tls.keyFile) } : {}),
          },
        },
        sync.clientId ?? `vt-${storeId}-${terminalId}`,
      );
      const doc = {
        v: PROTOCOL_VERSION,
        state: 'decommissioned',
        storeId,
        terminalId,
        at: new Date().toISOString(),
        unsynced,
      };
      await client.publishAsync(terminalTopics(storeId, terminalId).status, JSON.stringify(doc), {
        qos: 1,
        retain: true,
      });
      await client.endAsync();
      statusPublished = true;
      options.log('OK   final status "decommissioned" published to upstream');
    } catch (error) {
      if (!options.force) {
        throw new VeritermError(
          'broker_unreachable',
          `cannot publish the final status: ${(error as Error).message}; fix the link, or pass --force`,
        );
      }
      options.log(`WARN final status not published: ${(error as Error).message}`);
    }
  }

  const wiped: string[] = [];
  if (existsSync(paths.terminalKey)) {
    // Overwrite before unlinking: on a plain ext4 data dir that keeps the key out of free blocks.
    const size = statSync(paths.terminalKey).size;
    const fd = openSync(paths.terminalKey, 'r+');
    try {
      writeSync(fd, Buffer.alloc(size));
    } finally {
      closeSync(fd);
    }
  }
  if (existsSync(config.dataDir)) {
    for (const entry of readdirSync(config.dataDir)) wiped.push(join(config.dataDir, entry));
    rmSync(config.dataDir, { recursive: true, force: true });
  }
  rmSync(options.configFile, { force: true });
  wiped.push(options.configFile);
  options.log(`OK   wiped ${wiped.length} item(s): keys, credentials, pinned root, databases, config`);
  options.log(
    '     if installed, also run as root: systemctl disable --now veriterm.service veriterm-kiosk.service',
  );
  return { unsynced, statusPublished, wiped };
}
