import { loadConfigFile } from '../../terminal/config/index.js';
import { VeritermError } from '../../terminal/errors.js';
import { checkLedger } from './ledger-check.js';
import { checkClock, checkDisk, checkIdentity, checkOutbox, checkRegistry } from './local-checks.js';
import { checkBroker, checkDevices } from './remote-checks.js';
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
  try {
    result = loadConfigFile(options.configFile, options.env ?? process.env);
  } catch (error) {
    const why = error instanceof VeritermError ? error.message : String(error);
    return [fail('config', why, 'run veriterm provision, or pass --config FILE')];
  }
  if (!result.ok) {
    const lines = result.issues.map((i) => `${i.path}: got ${i.value}; ${i.expected}`);
    return [
      fail(
        'config',
        `${result.issues.length} bad field(s) in ${options.configFile}:\n        ${lines.join('\n        ')}`,
        `edit ${options.configFile} (README config reference)`,
      ),
    ];
  }
  const config = result.config;
  const ledger = checkLedger(config);
  return [
    ok(
      'config',
      `${options.configFile} is valid (terminal ${config.terminal.storeId}/${config.terminal.terminalId})`,
    ),
    await checkRuntimeBuilt(),
    checkIdentity(config),
    ledger,
    ...(await checkDevices(config, timeoutMs)),
    ...checkRegistry(config, now),
    ...(await checkBroker(config, timeoutMs, now)),
    // Opening a lost or swapped ledger would create or change it: its outbox is not read then.
    ...(ledger.level === 'fail' ? [] : [checkOutbox(config, now)]).filter(
      (c): c is DoctorCheck => c !== undefined,
    ),
    checkClock(config, now),
    checkDisk(config),
  ];
}
