import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import type { Config } from '../../terminal/config/index.js';
import { loadOrCreateTerminalKey } from '../../terminal/identity/index.js';
import { Ledger } from '../../terminal/ledger/index.js';
import { RegistryStore, registryFreshness } from '../../terminal/registry/index.js';
import { statePaths } from '../state-paths.js';
import { isPermissionError, pathAccess, permissionCheck } from './path-access.js';
import { type DoctorCheck, fail, ok, warn } from './types.js';

const DAY = 86_400_000;
const PROVISION = 're-run veriterm provision';

/**
 * The data folder exists and this user may read and write it (the terminal writes its ledger
 * there). Checked first: when it is refused, every file in it would read as "missing".
 */
export function checkDataDir(config: Config): DoctorCheck {
  const access = pathAccess(config.dataDir, 'write');
  if (access.state === 'missing')
    return fail('data folder', `${config.dataDir} does not exist`, PROVISION, 'not_provisioned');
  if (access.state === 'denied') return permissionCheck('data folder', config.dataDir, config.dataDir);
  return ok('data folder', `${config.dataDir} readable and writable`);
}

/** The terminal key exists, is 0600 and parses (never created here: doctor only looks). */
export function checkIdentity(config: Config): DoctorCheck {
  const file = statePaths(config.dataDir).terminalKey;
  const access = pathAccess(file);
  if (access.state === 'denied') return permissionCheck('identity', file, config.dataDir);
  if (access.state === 'missing')
    return fail('identity', `no terminal key at ${file}`, PROVISION, 'key_missing');
  try {
    const id = loadOrCreateTerminalKey(file);
    return ok('identity', `terminal key ${id.keyId} (mode 600)`);
  } catch (error) {
    if (isPermissionError(error, file)) return permissionCheck('identity', file, config.dataDir);
    return fail('identity', (error as Error).message, `chmod 600 ${file}, or ${PROVISION}`, 'key_unusable');
  }
}

/** Pinned root present and not expiring; registry release present and fresh. */
export function checkRegistry(config: Config, now: Date): DoctorCheck[] {
  const file = config.registry.file ?? statePaths(config.dataDir).registryDb;
  const access = pathAccess(file);
  if (access.state === 'denied') return [permissionCheck('registry root', file, config.dataDir)];
  if (access.state === 'missing')
    return [fail('registry root', `no registry database at ${file}`, PROVISION, 'root_missing')];
  let store: RegistryStore;
  try {
    store = RegistryStore.open(file, { readonly: true });
  } catch (error) {
    if (isPermissionError(error, file)) return [permissionCheck('registry root', file, config.dataDir)];
    return [
      fail('registry', `cannot read ${file}: ${(error as Error).message}`, PROVISION, 'registry_unreadable'),
    ];
  }
  try {
    const root = store.trustedRoot();
    const checks: DoctorCheck[] = [];
    if (!root) {
      checks.push(fail('registry root', 'no root of trust is pinned', PROVISION, 'root_missing'));
    } else {
      const left = Date.parse(root.signed.expires) - now.getTime();
      if (left <= 0)
        checks.push(
          fail(
            'registry root',
            `root v${root.signed.version} expired at ${root.signed.expires}`,
            'ask upstream for a rotated root, then re-run veriterm provision',
            'root_expired',
          ),
        );
      else if (left < 30 * DAY)
        checks.push(
          warn(
            'registry root',
            `root v${root.signed.version} expires in ${Math.ceil(left / DAY)} days`,
            'ask upstream to rotate the registry root',
            'root_expiring',
          ),
        );
      else
        checks.push(
          ok(
            'registry root',
            `root v${root.signed.version} pinned, valid until ${root.signed.expires.slice(0, 10)}`,
          ),
        );
    }
    const state = store.state();
    if (!state) {
      // The remedy depends on why none arrived: runDoctor replaces it with the uplink probe's.
      checks.push(
        warn(
          'registry data',
          'no registry release imported yet: verdicts are "unverifiable" until one arrives',
          'the terminal fetches it from upstream once running (see the uplink check), or veriterm registry import FILE',
          'no_registry',
        ),
      );
    } else {
      const freshness = registryFreshness(state, now, config.verify.maxRegistryAgeMs);
      const age = `v${state.version} of scope ${state.scope}, ${state.units} units, built ${state.asOf}`;
      if (freshness === 'fresh') checks.push(ok('registry data', age));
      else if (freshness === 'stale')
        checks.push(
          warn(
            'registry data',
            `${age}: older than the ${Math.round(config.verify.maxRegistryAgeMs / 3_600_000)} h limit`,
            'restore the link to upstream so updates arrive (see the uplink check)',
            'registry_stale',
          ),
        );
      else
        checks.push(
          fail(
            'registry data',
            `${age}: expired at ${state.expires}`,
            'restore the link to upstream; the registry must be re-published',
            'registry_expired',
          ),
        );
    }
    return checks;
  } catch (error) {
    if (isPermissionError(error, file)) return [permissionCheck('registry root', file, config.dataDir)];
    return [
      fail('registry', `cannot read ${file}: ${(error as Error).message}`, PROVISION, 'registry_unreadable'),
    ];
  } finally {
    store.close();
  }
}

/** Clock plausibility: not before the registry/root were made, NTP synchronised where timedatectl exists. */
export function checkClock(config: Config, now: Date): DoctorCheck {
  if (now.getFullYear() < 2024)
    return fail(
      'clock',
      `system clock says ${now.toISOString()}`,
      'set the time (timedatectl set-ntp true) and re-check',
      'clock_wrong',
    );
  const file = statePaths(config.dataDir).registryDb;
  if (pathAccess(file).state === 'ok') {
    let asOf: string | undefined;
    try {
      const store = RegistryStore.open(file, { readonly: true });
      try {
        asOf = store.state()?.asOf;
      } finally {
        store.close();
      }
    } catch {
      // Unreadable: the registry check reports it.
    }
    if (asOf && Date.parse(asOf) > now.getTime() + 5 * 60_000) {
      return fail(
        'clock',
        `clock ${now.toISOString()} is behind the registry build time ${asOf}`,
        'fix the time (timedatectl set-ntp true); expiry checks depend on it',
        'clock_skew',
      );
    }
  }
  try {
    const out = execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    if (out === 'no')
      return warn(
        'clock',
        `${now.toISOString()}, not NTP-synchronised`,
        'timedatectl set-ntp true',
        'clock_unsynchronised',
      );
  } catch {
    // No systemd (containers, tests): plausibility only.
  }
  return ok('clock', now.toISOString());
}

/** Free space where the ledger grows. */
export function checkDisk(
  config: Config,
  minFreeBytes = 100 * 1024 * 1024,
  warnFreeBytes = 1024 * 1024 * 1024,
): DoctorCheck {
  try {
    const s = statfsSync(existsSync(config.dataDir) ? config.dataDir : '.');
    const free = s.bavail * s.bsize;
    const mb = Math.round(free / 1048576);
    if (free < minFreeBytes)
      return fail(
        'disk',
        `${mb} MB free in ${config.dataDir}`,
        'free space: the ledger stops accepting sales when the disk is full',
        'disk_full',
      );
    if (free < warnFreeBytes)
      return warn('disk', `${mb} MB free in ${config.dataDir}`, 'free some space soon', 'disk_low');
    return ok('disk', `${mb} MB free in ${config.dataDir}`);
  } catch (error) {
    return fail(
      'disk',
      `cannot stat ${config.dataDir}: ${(error as Error).message}`,
      'check the data directory',
      'disk_unreadable',
    );
  }
}

/** Client certificate validity (when the broker authenticates by certificate). */
export function checkClientCert(certFile: string, keyFile: string | undefined, now: Date): DoctorCheck {
  if (!existsSync(certFile))
    return fail('broker certificate', `missing ${certFile}`, PROVISION, 'credentials_missing');
  if (keyFile && !existsSync(keyFile))
    return fail('broker certificate', `missing key ${keyFile}`, PROVISION, 'credentials_missing');
  if (keyFile && (statSync(keyFile).mode & 0o077) !== 0) {
    return fail(
      'broker certificate',
      `key ${keyFile} is readable by others`,
      `chmod 600 ${keyFile}`,
      'key_unusable',
    );
  }
  const cert = new X509Certificate(readFileSync(certFile));
  const left = Date.parse(cert.validTo) - now.getTime();
  if (left <= 0)
    return fail(
      'broker certificate',
      `expired ${cert.validTo}`,
      `${PROVISION} with a new enrolment code`,
      'certificate_expired',
    );
  if (left < 30 * DAY)
    return warn(
      'broker certificate',
      `expires ${cert.validTo}`,
      'renew it with a new enrolment code',
      'certificate_expiring',
    );
  return ok('broker certificate', `${cert.subject.replace(/\n/g, ', ')}, valid until ${cert.validTo}`);
}

/** Records not yet acknowledged by upstream: a backlog older than an hour means the link is not draining. */
export function checkOutbox(config: Config, now: Date): DoctorCheck | undefined {
  const paths = statePaths(config.dataDir);
  if (!existsSync(paths.terminalDb) || !existsSync(paths.terminalKey)) return undefined;
  const { storeId, terminalId } = config.terminal;
  let ledger: Ledger | undefined;
  try {
    ledger = new Ledger({
      file: paths.terminalDb,
      identity: loadOrCreateTerminalKey(paths.terminalKey),
      storeId,
      terminalId,
    });
    const { pending, oldestPendingAt } = ledger.stats();
    if (pending === 0) return ok('records', 'every record acknowledged by upstream');
    const ageMs = oldestPendingAt ? now.getTime() - Date.parse(oldestPendingAt) : 0;
    const text = `${pending} record(s) waiting for upstream, oldest ${oldestPendingAt ?? '?'}`;
    return ageMs > 3_600_000
      ? warn(
          'records',
          text,
          'restore the link to upstream (see the broker and uplink checks); nothing is lost meanwhile',
          'records_backlog',
        )
      : ok('records', text);
  } catch (error) {
    if (isPermissionError(error, paths.terminalDb))
      return permissionCheck('records', paths.terminalDb, config.dataDir);
    return fail(
      'records',
      `cannot read the ledger: ${(error as Error).message}`,
      'check the data directory',
      'ledger_unreadable',
    );
  } finally {
    ledger?.close();
  }
}
