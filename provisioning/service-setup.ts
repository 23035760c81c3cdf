import { resolve } from 'node:path';
import { packageRoot } from '../terminal/package-root.js';
import type { Answers } from './answers.js';
import { prepareRuntime, type Runtime, runtimeProblems } from './runtime-check.js';
import { DEFAULT_RUNTIME_DIR } from './runtime-install.js';
import { accountCommands, ensureSystemUser, type ServiceAccount } from './service-account.js';
import { assertReachable, handOverCommands, handOverState } from './state-ownership.js';
import { planAccounts } from './system-units.js';
import type { ProvisionUi } from './ui.js';

/**
 * What provisioning does for the units beyond writing them, in provision.ts's order:
 * `checkRuntime` first (before any question: a missing build is found before a scan or a code is
 * spent), `ensureAccounts` once the role is known (still before the code), `handOver` once the
 * state is written (and again after doctor, which runs as root and may create files).
 *
 * On a real terminal (system root `/`), or when the answers name a runtimeDir / serviceUser, a
 * runtime that cannot run is an error, the built runtime is installed into runtimeDir (default
 * /opt/veriterm) and the units run it from there, and the accounts are created. Under another system root
 * (tests writing units into a temp dir) the runtime is only warned about and no account is made
 * on this machine unless one is named.
 */
export interface ServiceSetup {
  runtime: Runtime;
  accounts?: ServiceAccount[];
}

const isReal = (answers: Answers) => resolve(answers.systemRoot) === '/';

export async function checkRuntime(
  answers: Answers,
  ui: ProvisionUi,
  can: { install: boolean; isRoot: boolean },
): Promise<Runtime> {
  const strict = isReal(answers) || answers.runtimeDir !== undefined;
  const target = answers.runtimeDir ?? DEFAULT_RUNTIME_DIR;
  if (strict && !(can.install && can.isRoot)) {
    // Not root: the build is checked here, the copy into the runtime dir is for root to do.
    await prepareRuntime(packageRoot(), {
      build: answers.buildRuntime,
      location: false,
      log: (l) => ui.info(l),
    });
    ui.info(
      `not root: the runtime is not installed; run veriterm provision as root, or install this built package at ${target}`,
    );
    return { dir: target, entry: resolve(target, 'dist', 'cli', 'veriterm.js'), nodeBin: process.execPath };
  }
  if (strict) {
    const runtime = await prepareRuntime(packageRoot(), {
      build: answers.buildRuntime,
      installTo: target,
      log: (l) => ui.info(l),
    });
    ui.success(`runtime ${runtime.entry} installed, kiosk UI built, readable by the service`);
    return runtime;
  }
  const dir = packageRoot();
  const nodeBin = process.execPath;
  for (const p of await runtimeProblems(dir, nodeBin)) ui.warn(`${p.text}: fix it before the service starts`);
  return { dir, entry: resolve(dir, 'dist', 'cli', 'veriterm.js'), nodeBin };
}

export function ensureAccounts(
  answers: Answers,
  role: 'kiosk' | 'checkout',
  ui: ProvisionUi,
  can: { install: boolean; isRoot: boolean },
): ServiceAccount[] | undefined {
  const specs = planAccounts({ ...answers, role });
  const named = answers.serviceUser !== undefined;
  if (!can.install || !can.isRoot || !(isReal(answers) || named)) {
    ui.info(`service accounts not created here; as root:\n${accountCommands(specs).join('\n')}`);
    return undefined;
  }
  assertReachable(answers, specs[0]!.name);
  const accounts = specs.map((spec) => ensureSystemUser(spec));
  ui.success(`service accounts: ${accounts.map((a) => `${a.name} (uid ${a.uid})`).join(', ')}`);
  return accounts;
}

export function handOver(
  answers: Answers,
  accounts: ServiceAccount[] | undefined,
  ui: ProvisionUi,
  quiet = false,
): void {
  const paths = { dataDir: answers.dataDir, configFile: answers.configFile };
  const service = accounts?.[0];
  if (!service) {
    if (!quiet) {
      const user = answers.serviceUser ?? 'veriterm';
      ui.info(
        `then hand the state to the service user, as root:\n${handOverCommands(paths, user).join('\n')}`,
      );
    }
    return;
  }
  handOverState(paths, service);
  if (!quiet)
    ui.success(
      `${resolve(answers.dataDir)} owned by ${service.name} (0700, files 0600); config 0640 root:${service.name}`,
    );
}
