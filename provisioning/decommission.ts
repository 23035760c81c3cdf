import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Config, formatConfigIssues, loadConfigFile } from '../terminal/config/index.js';
import { VeritermError } from '../terminal/errors.js';
import { loadOrCreateTerminalKey, type TerminalIdentity } from '../terminal/identity/index.js';
import { Ledger } from '../terminal/ledger/index.js';
import { PROTOCOL_VERSION } from '../terminal/sync/protocol.js';
import { terminalTopics } from '../terminal/sync/topics.js';
import { syncOptionsFromConfig } from './broker-credentials.js';
import { connect, terminalTarget } from './enrol-client.js';
import { heldBy } from './held-by.js';
import { requestRevocation } from './revoke-client.js';
import { statePaths } from './state-paths.js';
import { type SystemRunner, systemRunner } from './system-runner.js';

/** The units and udev rules provisioning installs (system-units.ts), by name prefix. */
const SYSTEMD_DIR = '/etc/systemd/system';
const UDEV_DIR = '/etc/udev/rules.d';
const UNITS = ['veriterm-kiosk.service', 'veriterm.service'];

export interface DecommissionOptions {
  configFile: string;
  /** Wipe even with unsynced records or an unreachable broker (the records are lost). */
  force?: boolean;
  timeoutMs?: number;
  log: (line: string) => void;
  /** Where units and udev rules are installed: '/' on a terminal, a temp dir in tests. @default '/' */
  systemRoot?: string;
  /** systemctl/udevadm; tests inject a recorder. @default runs the command */
  run?: SystemRunner;
  /** Upstream revocation (provisioning/revoke-client.ts); tests inject a fake. */
  revoke?: typeof requestRevocation;
  /**
   * The process still running this terminal, if any. @default the process holding its ledger or
   * registry database open (serial-ports.ts heldBy: /proc/PID/fd)
   */
  runningTerminal?: (dataDir: string) => { pid: number; command: string } | undefined;
}

export interface DecommissionStep {
  step: 'stop' | 'status' | 'revoke' | 'units' | 'wipe';
  ok: boolean;
  detail: string;
}

export interface DecommissionResult {
  unsynced: number;
  statusPublished: boolean;
  revoked: boolean;
  steps: DecommissionStep[];
  wiped: string[];
}

/**
 * `veriterm decommission`, in this order, each step reported:
 * 1. refuses while the outbox holds records upstream has not acknowledged (they would be lost with
 *    the keys that sign them), unless --force;
 * 2. stops and disables the service (and the kiosk page), and makes sure the terminal no longer
 *    answers: a running terminal would keep verifying from deleted files and republish "online";
 * 3. publishes the retained final status "decommissioned";
 * 4. asks upstream to revoke the enrolment (its records and certificate are then refused);
 * 5. removes the units and udev rules;
 * 6. wipes the key (overwritten first), credentials, pinned root, databases and the config file.
 * A step that fails before the wipe stops it (unless --force); revocation that fails does not stop
 * it, but is reported with how to finish upstream.
 */
export async function decommission(options: DecommissionOptions): Promise<DecommissionResult> {
  const config = loadConfig(options.configFile);
  const paths = statePaths(config.dataDir);
  const { storeId, terminalId } = config.terminal;
  const run = options.run ?? systemRunner;
  const steps: DecommissionStep[] = [];
  const report = (s: DecommissionStep) => {
    steps.push(s);
    options.log(`${s.ok ? 'OK  ' : 'WARN'} ${s.step}: ${s.detail}`);
  };

  const before = unsyncedOf(config);
  if (before.count > 0 && !options.force) {
    throw new VeritermError(
      'unsynced',
      `${before.count} record(s) have not reached upstream (oldest ${before.oldest ?? '?'}): start the terminal with upstream reachable until they drain (veriterm doctor shows the link), or pass --force to lose them`,
    );
  }

  // 2. Stop first: nothing after this may race a running terminal.
  const stop = await run(['systemctl', 'disable', '--now', ...UNITS]);
  const notInstalled = /not (be )?found|does not exist|not loaded|ENOENT/i.test(stop.output);
  const running = (options.runningTerminal ?? terminalProcess)(config.dataDir);
  if (running) {
    throw new VeritermError(
      'terminal_running',
      `the terminal is still running (process ${running.pid} ${running.command} holds its databases open)${stop.code === 0 || notInstalled ? '' : `; systemctl: ${stop.output.trim() || `exit ${stop.code}`}`}: stop it (systemctl disable --now veriterm.service, or end that process), then run veriterm decommission again; nothing was wiped`,
    );
  }
  report({
    step: 'stop',
    ok: true,
    detail:
      stop.code === 0
        ? `stopped and disabled ${UNITS.join(', ')}`
        : notInstalled
          ? 'no veriterm service installed; no terminal process running'
          : `systemctl failed (${stop.output.trim() || `exit ${stop.code}`}), but no terminal process is running`,
  });

  // Records appended between the count above and the stop are counted too.
  const unsynced = unsyncedOf(config).count;
  if (unsynced > 0) options.log(`WARN ${unsynced} unsynced record(s) will be lost (--force)`);

  const statusPublished = await publishFinalStatus(config, unsynced, options);
  report({
    step: 'status',
    ok: statusPublished.ok,
    detail: statusPublished.ok
      ? 'final status "decommissioned" published to upstream (retained)'
      : `final status not published: ${statusPublished.why}`,
  });
  if (!statusPublished.ok && !options.force)
    throw new VeritermError(
      'broker_unreachable',
      `cannot publish the final status: ${statusPublished.why}; the service is stopped and nothing was wiped: fix the link and run veriterm decommission again, or pass --force`,
    );

  const identity = existsSync(paths.terminalKey) ? loadOrCreateTerminalKey(paths.terminalKey) : undefined;
  const revoked = await revoke(options, config, identity);
  report({
    step: 'revoke',
    ok: revoked.ok,
    detail: revoked.ok
      ? `upstream revoked the enrolment of ${storeId}/${terminalId}`
      : `upstream did not revoke the enrolment (${revoked.why}): on the upstream host run \`veriterm upstream revoke --store ${storeId} --terminal ${terminalId}\` (its certificate and records stay accepted until then)`,
  });

  report(await removeSystemFiles(options.systemRoot ?? '/', run));

  let wiped: string[];
  try {
    wiped = wipe(config.dataDir, paths.terminalKey, options.configFile);
  } catch (error) {
    throw new VeritermError(
      'wipe_failed',
      `the terminal is stopped, its status published and its units removed, but the wipe failed (${(error as Error).message}): remove ${config.dataDir} and ${options.configFile} as root`,
    );
  }
  report({
    step: 'wipe',
    ok: true,
    detail: `wiped ${wiped.length} item(s): keys, credentials, pinned root, databases, config`,
  });
  return { unsynced, statusPublished: statusPublished.ok, revoked: revoked.ok, steps, wiped };
}

function loadConfig(configFile: string): Config {
  let loaded: ReturnType<typeof loadConfigFile>;
  try {
    loaded = loadConfigFile(configFile);
  } catch (error) {
    throw new VeritermError(
      'no_config',
      `cannot decommission: ${(error as Error).message}; if provisioning stopped before writing the config, re-run the same veriterm provision command first (it finishes without a new code), then decommission`,
    );
  }
  if (!loaded.ok)
    throw new VeritermError(
      'bad_config',
      `cannot decommission: ${configFile} is invalid:\n${formatConfigIssues(loaded.issues)}`,
    );
  return loaded.config;
}

function unsyncedOf(config: Config): { count: number; oldest?: string } {
  const paths = statePaths(config.dataDir);
  if (!existsSync(paths.terminalDb) || !existsSync(paths.terminalKey)) return { count: 0 };
  const ledger = new Ledger({
    file: paths.terminalDb,
    identity: loadOrCreateTerminalKey(paths.terminalKey),
    storeId: config.terminal.storeId,
    terminalId: config.terminal.terminalId,
  });
  try {
    const stats = ledger.stats();
    return { count: stats.pending, ...(stats.oldestPendingAt ? { oldest: stats.oldestPendingAt } : {}) };
  } finally {
    ledger.close();
  }
}

/** A process that has this terminal's ledger or registry open: the terminal, still running. */
function terminalProcess(dataDir: string): { pid: number; command: string } | undefined {
  const paths = statePaths(dataDir);
  return heldBy(paths.terminalDb) ?? heldBy(paths.registryDb);
}

async function publishFinalStatus(
  config: Config,
  unsynced: number,
  options: DecommissionOptions,
): Promise<{ ok: true } | { ok: false; why: string }> {
  if (!config.sync) return { ok: false, why: 'no upstream link configured' };
  const { storeId, terminalId } = config.terminal;
  try {
    const sync = syncOptionsFromConfig(config.sync);
    const client = await connect(
      terminalTarget(sync, options.timeoutMs ?? 5000),
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
    try {
      await client.publishAsync(terminalTopics(storeId, terminalId).status, JSON.stringify(doc), {
        qos: 1,
        retain: true,
      });
    } finally {
      await client.endAsync();
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, why: (error as Error).message };
  }
}

async function revoke(
  options: DecommissionOptions,
  config: Config,
  identity: TerminalIdentity | undefined,
): Promise<{ ok: true } | { ok: false; why: string }> {
  if (!identity) return { ok: false, why: 'no terminal key left to sign the request' };
  try {
    const answer = await (options.revoke ?? requestRevocation)({
      config,
      identity,
      timeoutMs: options.timeoutMs ?? 5000,
    });
    return answer.revoked ? { ok: true } : { ok: false, why: answer.reason };
  } catch (error) {
    return { ok: false, why: (error as Error).message };
  }
}

/** Removes veriterm's units and udev rules; reloads systemd and udev on the real system. */
async function removeSystemFiles(systemRoot: string, run: SystemRunner): Promise<DecommissionStep> {
  const root = resolve(systemRoot);
  const removed: string[] = [];
  const failed: string[] = [];
  for (const [dir, match] of [
    [SYSTEMD_DIR, (n: string) => /^veriterm.*\.(service|timer|socket)$/.test(n)],
    [UDEV_DIR, (n: string) => /veriterm.*\.rules$/.test(n)],
  ] as const) {
    const at = join(root, dir);
    let names: string[] = [];
    try {
      names = readdirSync(at);
    } catch {
      continue;
    }
    for (const name of names.filter(match)) {
      try {
        rmSync(join(at, name));
        removed.push(join(at, name));
      } catch (error) {
        failed.push(`${join(at, name)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  if (root === '/' && removed.length > 0) {
    for (const argv of [
      ['systemctl', 'daemon-reload'],
      ['udevadm', 'control', '--reload-rules'],
    ]) {
      const r = await run(argv);
      if (r.code !== 0) failed.push(`${argv.join(' ')}: ${r.output.trim() || `exit ${r.code}`}`);
    }
  }
  if (failed.length > 0)
    return {
      step: 'units',
      ok: false,
      detail: `could not remove: ${failed.join('; ')}; remove them as root${removed.length ? ` (removed ${removed.join(', ')})` : ''}`,
    };
  return {
    step: 'units',
    ok: true,
    detail: removed.length > 0 ? `removed ${removed.join(', ')}` : 'no units or udev rules installed',
  };
}

function wipe(dataDir: string, keyFile: string, configFile: string): string[] {
  const wiped: string[] = [];
  if (existsSync(keyFile)) {
    // Overwrite before unlinking: on a plain ext4 data dir that keeps the key out of free blocks.
    const size = statSync(keyFile).size;
    const fd = openSync(keyFile, 'r+');
    try {
      writeSync(fd, Buffer.alloc(size));
    } finally {
      closeSync(fd);
    }
  }
  if (existsSync(dataDir)) {
    for (const entry of readdirSync(dataDir)) wiped.push(join(dataDir, entry));
    rmSync(dataDir, { recursive: true, force: true });
  }
  rmSync(configFile, { force: true });
  wiped.push(configFile);
  return wiped;
}
