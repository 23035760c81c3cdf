import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import type { Config } from '../../terminal/config/index.js';
import { loadOrCreateTerminalKey } from '../../terminal/identity/index.js';
import { Ledger } from '../../terminal/ledger/index.js';
import { RegistryStore, registryFreshness } from '../../terminal/registry/index.js';
import { statePaths } from '../state-paths.js';
import { type DoctorCheck, fail, ok, warn } from './types.js';

const DAY = 86_400_000;
const PROVISION = 're-run veriterm provision';

/** The terminal key exists, is 0600 and parses (never created here: doctor only looks). */
export function checkIdentity(config: Config): DoctorCheck {
  const file = statePaths(config.dataDir).terminalKey;
  if (!existsSync(file)) return fail('identity', `no terminal key at ${file}`, PROVISION);
  try {
    const id = loadOrCreateTerminalKey(file);
    return ok('identity', `terminal key ${id.keyId} (mode 600)`);
  } catch (error) {
    return fail('identity', (error as Error).message, `chmod 600 ${file}, or ${PROVISION}`);
  }
}

/** Pinned root present and not expiring; registry release present and fresh. */
export function checkRegistry(config: Config, now: Date): DoctorCheck[] {
  const file =
    typeof config.registry.file === 'string' ? config.registry.file : statePaths(config.dataDir).registryDb;
  if (!existsSync(file)) return [fail('registry root', `no registry database at ${file}`, PROVISION)];
  const store = RegistryStore.open(file, { readonly: true });
  try {
    const root = store.trustedRoot();
    const checks: DoctorCheck[] = [];
    if (!root) {
      checks.push(fail('registry root', 'no root of trust is pinned', PROVISION));
    } else {
      const left = Date.parse(root.signed.expires) - now.getTime();
      if (left <= 0)
        checks.push(
          fail(
            'registry root',
            `root v${root.signed.version} expired at ${root.signed.expires}`,
            'ask upstream for a rotated root, then re-run veriterm provision',
          ),
        );
      else if (left < 30 * DAY)
        checks.push(
          warn(
            'registry root',
            `root v${root.signed.version} expires in ${Math.ceil(left / DAY)} days`,
            'ask upstream to rotate the registry root',
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
      checks.push(
        warn(
          'registry data',
          'no registry release imported yet: verdicts are "unverifiable" until one arrives',
          'start the terminal with upstream reachable (it fetches the registry), or veriterm registry import FILE',
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
            'restore the link to upstream so updates arrive',
          ),
        );
      else
        checks.push(
          fail(
            'registry data',
            `${age}: expired at ${state.expires}`,
            'restore the link to upstream; the registry must be re-published',
          ),
        );
    }
    return checks;
  } catch (error) {
    return [fail('registry', `cannot read ${file}: ${(error as Error).message}`, PROVISION)];
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
    );
  const file = statePaths(config.dataDir).registryDb;
  if (existsSync(file)) {
    const store = RegistryStore.open(file, { readonly: true });
    try {
      const asOf = store.state()?.asOf;
      if (asOf && Date.parse(asOf) > now.getTime() + 5 * 60_000) {
        return fail(
          'clock',
          `clock ${now.toISOString()} is behind the registry build time ${asOf}`,
          'fix the time (timedatectl set-ntp true); expiry checks depend on it',
        );
      }
    } finally {
      store.close();
    }
  }
  try {
    const out = execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    if (out === 'no')
      return warn('clock', `${now.toISOString()}, not NTP-synchronised`, 'timedatectl set-ntp true');
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
      );
    if (free < warnFreeBytes)
      return warn('disk', `${mb} MB free in ${config.dataDir}`, 'free some space soon');
    return ok('disk', `${mb} MB free in ${config.dataDir}`);
  } catch (error) {
    return fail(
      'disk',
      `cannot stat ${config.dataDir}: ${(error as Error).message}`,
      'check the data directory',
    );
  }
}

/** Client certificate validity (when the broker authenticates by certificate). */
export function checkClientCert(certFile: string, keyFile: string | undefined, now: Date): DoctorCheck {
  if (!existsSync(certFile)) return fail('broker certificate', `missing ${certFile}`, PROVISION);
  if (keyFile && !existsSync(keyFile)) return fail('broker certificate', `missing key ${keyFile}`, PROVISION);
  if (keyFile && (statSync(keyFile).mode & 0o077) !== 0) {
    return fail('broker certificate', `key ${keyFile} is readable by others`, `chmod 600 ${keyFile}`);
  }
  const cert = new X509Certificate(readFileSync(certFile));
  const left = Date.parse(cert.validTo) - now.getTime();
  if (left <= 0)
    return fail('broker certificate', `expired ${cert.validTo}`, `${PROVISION} with a new enrolment code`);
  if (left < 30 * DAY)
    return warn('broker certificate', `expires ${cert.validTo}`, 'renew it with a new enrolment code');
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
          'restore the link to upstream (see the broker check); nothing is lost meanwhile',
        )
      : ok('records', text);
  } catch (error) {
    return fail('records', `cannot read the ledger: ${(error as Error).message}`, 'check the data directory');
  } finally {
    ledger?.close();
  }
}
