import { dirname } from 'node:path';
import { loadConfigFile } from '../../terminal/config/index.js';
import { VeritermError } from '../../terminal/errors.js';
import { checkLedger } from './ledger-check.js';
import {
  checkClock,
  checkDataDir,
  checkDisk,
  checkIdentity,
  checkOutbox,
  checkRegistry,
} from './local-checks.js';
import { pathAccess, permissionCheck } from './path-access.js';
import { checkBroker, checkDevices, checkUplink } from './remote-checks.js';
import { checkRuntimeBuilt } from './runtime-check.js';
import { type DoctorCheck, fail, ok } from './types.js';

export interface DoctorOptions {
  configFile: string;
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** Per network check (printer status, broker connect). @default 5000 */
  timeoutMs?: number;
}

/**
 * Every check `veriterm doctor` runs, in order: config (all bad fields at once), identity, ledger,
 * devices, registry root and data, broker (TLS, login), clock, disk. A config that cannot be
 * read stops there: the other checks need it.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const now = options.now ?? new Date();
  const timeoutMs = options.timeoutMs ?? 5000;
  let result: ReturnType<typeof loadConfigFile>;
  if (pathAccess(options.configFile).state === 'denied')
    return [permissionCheck('config', options.configFile, dirname(options.configFile))];
  try {
    result = loadConfigFile(options.configFile, options.env ?? process.env);
  } catch (error) {
    const why = error instanceof VeritermError ? error.message : String(error);
    return [fail('config', why, 'run veriterm provision, or pass --config FILE', 'no_config')];
  }
  if (!result.ok) {
    const lines = result.issues.map((i) => `${i.path}: got ${i.value}; ${i.expected}`);
    return [
      fail(
        'config',
        `${result.issues.length} bad field(s) in ${options.configFile}:\n        ${lines.join('\n        ')}`,
        `edit ${options.configFile} (README config reference)`,
        'bad_config',
      ),
    ];
  }
  const config = result.config;
  const configOk = ok(
    'config',
    `${options.configFile} is valid (terminal ${config.terminal.storeId}/${config.terminal.terminalId})`,
  );
  const dataDir = checkDataDir(config);
  // A data folder this user may not enter makes every file in it look missing: say that once.
  const readable = dataDir.cause !== 'permission_denied';
  const ledger = readable ? checkLedger(config) : undefined;
  const registry = readable ? checkRegistry(config, now) : [];
  const broker = await checkBroker(config, timeoutMs, now);
  const uplink =
    config.sync && broker.every((c) => c.level !== 'fail')
      ? await checkUplink(config.sync, timeoutMs)
      : undefined;
  return [
    configOk,
    await checkRuntimeBuilt(),
    dataDir,
    ...(readable ? [checkIdentity(config), ledger!] : []),
    ...(await checkDevices(config, timeoutMs)),
    ...registry.map((c) => withRegistryRemedy(c, uplink?.check, broker)),
    ...broker,
    ...(uplink ? [uplink.check] : []),
    // Opening a lost or swapped ledger would create or change it: its outbox is not read then.
    ...(!ledger || ledger.level === 'fail' ? [] : [checkOutbox(config, now)]).filter(
      (c): c is DoctorCheck => c !== undefined,
    ),
    checkClock(config, now),
    checkDisk(config),
  ];
}

/**
 * "No registry yet" has as many remedies as causes: the broker refusing us, the ACL refusing our
 * publish, upstream not answering, or upstream holding no release. The uplink (or broker) check
 * knows which; its remedy is the one to give.
 */
function withRegistryRemedy(
  check: DoctorCheck,
  uplink: DoctorCheck | undefined,
  broker: DoctorCheck[],
): DoctorCheck {
  if (check.cause !== 'no_registry' && check.cause !== 'registry_stale') return check;
  const why = broker.find((c) => c.level === 'fail') ?? (uplink?.level === 'fail' ? uplink : undefined);
  if (!why?.remedy) return check;
  return { ...check, message: `${check.message} (${why.name}: ${why.cause})`, remedy: why.remedy };
}
