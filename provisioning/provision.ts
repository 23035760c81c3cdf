import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VeritermError } from '../terminal/errors.js';
import { createTerminalKey } from '../terminal/identity/index.js';
import type { Answers } from './answers.js';
import { fsyncDir, writeFileAtomic } from './atomic-write.js';
import { chooseDevices } from './choose-devices.js';
import { buildConfig } from './config-writer.js';
import {
  type DetectOptions,
  describeParse,
  describePrinter,
  describeScanner,
  printDocument,
  testScan,
} from './devices.js';
import { runDoctor } from './doctor/run-doctor.js';
import { type DoctorCheck, formatChecks } from './doctor/types.js';
import { type Enrolled, enrolStep } from './enrol-step.js';
import { fetchFirstRegistry } from './first-registry.js';
import { checkRuntime, ensureAccounts, handOver } from './service-setup.js';
import { summaryLines, summarySlip, testSlip } from './slips.js';
import { statePaths } from './state-paths.js';
import { formatSystemPlan, installSystemPlan, systemPlan } from './system-units.js';
import type { ProvisionUi } from './ui.js';

export interface ProvisionDeps {
  ui: ProvisionUi;
  detect?: DetectOptions;
  /** Told when the wizard waits for the test scan (tests feed the PTY then). */
  onWaitingForScan?: () => void;
  /** @default process.getuid() === 0 on Linux */
  isRoot?: boolean;
  usbIdsOf?: (path: string) => { vendorId: string; productId: string; serial?: string } | undefined;
  now?: () => Date;
}

export interface ProvisionResult {
  configFile: string;
  dataDir: string;
  checks: DoctorCheck[];
  summary: string[];
  installed: string[];
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `veriterm provision`: the six steps, the same for the wizard and for `--answers`. Everything
 * machine-written is built in a staging directory beside the data directory and committed by one
 * rename, then the config file is written atomically; any failure before that removes the staging
 * directory, so a wrong answer leaves nothing half-written.
 */
export async function provision(answers: Answers, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { ui } = deps;
  const now = deps.now ?? (() => new Date());
  const dataDir = resolve(answers.dataDir);
  const configFile = resolve(answers.configFile);
  const replacing = isProvisioned(dataDir, configFile);
  if (replacing && !answers.force) {
    const go =
      ui.interactive &&
      (await ui.confirm({
        key: 'force',
        message: `${configFile} / ${dataDir} already hold a provisioned terminal. Wipe its keys and data and start over?`,
        initial: false,
      }));
    if (!go)
      throw new VeritermError(
        'already_provisioned',
        `this machine is already provisioned (${configFile}, ${dataDir}): run veriterm decommission first, or pass --force to replace it`,
      );
  }

  const isRoot = deps.isRoot ?? (process.platform === 'linux' && process.getuid?.() === 0);
  const install =
    answers.install === 'install' ||
    (answers.install === 'auto' && (isRoot || resolve(answers.systemRoot) !== '/'));
  // The units' runtime (built, installed, reachable by the service user) before anything else.
  const runtime = await checkRuntime(answers, ui, { install, isRoot });

  ui.step('1/6 Terminal and devices');
  const ask = (key: 'storeId' | 'terminalId', message: string) =>
    answers[key] ??
    ui.text({
      key,
      message,
      validate: (v) => (ID.test(v) ? undefined : 'expected 1-64 of A-Z a-z 0-9 _ . -'),
    });
  const storeId = await ask('storeId', 'Store id');
  const terminalId = await ask('terminalId', 'Terminal id');
  const role =
    answers.role ??
    (await ui.select<'kiosk' | 'checkout'>({
      key: 'role',
      message: 'Role of this terminal',
      options: [
        { value: 'kiosk', label: 'kiosk', hint: 'shoppers check products' },
        { value: 'checkout', label: 'checkout', hint: 'cashier lane, writes off codes' },
      ],
    }));
  const ids = { storeId, terminalId, role };
  const { scanner, printer } = await chooseDevices(ui, answers, deps.detect ?? {});
  if (scanner && !answers.skipTestScan) {
    for (;;) {
      try {
        ui.info(`opening ${describeScanner(scanner)} …`);
        const onWaiting = () => {
          ui.info(`Scan any product code with ${describeScanner(scanner)} now`);
          deps.onWaitingForScan?.();
        };
        const { scan, parsed } = await testScan(scanner, { timeoutMs: answers.scanTimeoutMs, onWaiting });
        ui.success(
          `scan read: ${JSON.stringify(scan.data.replace(/\x1d/g, '<GS>'))}\n   ${describeParse(parsed)}`,
        );
        break;
      } catch (error) {
        if (!ui.interactive || !(error instanceof VeritermError) || error.code === 'device_gone') throw error;
        ui.warn(error.message);
        if (!(await ui.confirm({ key: 'retryScan', message: 'Try the test scan again?' }))) throw error;
      }
    }
  }
  if (printer && !answers.skipTestPrint) {
    await printDocument(printer, testSlip({ ...ids, at: now() }));
    ui.success(
      `test slip printed on ${describePrinter(printer)}: check the Chinese line and scan its QR code`,
    );
  }

  // Service accounts before the code is spent (service-setup.ts).
  const accounts = ensureAccounts(answers, role, ui, { install, isRoot });
  const staging = statePaths(`${dataDir}.staging-${process.pid}`);
  removeStaleStaging(dataDir);
  let enrolled: Enrolled;
  let config: { sync: Record<string, unknown> };
  try {
    ui.step('2/6 Identity');
    // Parents as ordinary folders (0755): a recursive mkdir with 0700 would lock the service user out.
    mkdirSync(dirname(staging.dataDir), { recursive: true });
    mkdirSync(staging.dataDir, { mode: 0o700 });
    const identity = createTerminalKey(staging.terminalKey);
    ui.success(`terminal key ${identity.keyId} created (Ed25519, mode 600; the private key is never shown)`);

    ui.step('3/6 Enrolment');
    enrolled = await enrolStep(ui, answers, ids, identity, staging);

    ui.step('4/6 Configuration');
    config = buildConfig(
      {
        ...ids,
        httpPort: answers.httpPort,
        ...(scanner ? { scanner } : {}),
        ...(printer ? { printer } : {}),
        brokerUrl: enrolled.brokerUrl,
        scope: enrolled.grant.registry.scope,
        credentials: enrolled.credentials,
      },
      statePaths(dataDir),
    );
    commitState(staging.dataDir, dataDir, replacing);
    writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o644);
    ui.success(`wrote ${configFile}; keys, pinned root and credentials in ${dataDir}`);
  } catch (error) {
    rmSync(staging.dataDir, { recursive: true, force: true });
    throw error;
  }

  if (answers.registryTimeoutMs > 0) {
    ui.info('fetching the registry from upstream …');
    const first = await fetchFirstRegistry(config.sync, ids, statePaths(dataDir), answers.registryTimeoutMs);
    if (first.ok) ui.success(`registry v${first.version} of scope ${first.scope}: ${first.units} units`);
    else ui.warn(`${first.reason}; the terminal fetches it once running`);
  }

  ui.step('5/6 System services');
  const plan = systemPlan({
    configFile,
    dataDir,
    role,
    httpPort: answers.httpPort,
    ...(scanner ? { scanner } : {}),
    ...(printer ? { printer } : {}),
    runtime,
    ...(answers.serviceUser ? { serviceUser: answers.serviceUser } : {}),
    ...(answers.kioskUser ? { kioskUser: answers.kioskUser } : {}),
    ...(deps.usbIdsOf ? { usbIdsOf: deps.usbIdsOf } : {}),
  });
  let installed: string[] = [];
  handOver(answers, accounts, ui);
  if (install) {
    try {
      installed = installSystemPlan(plan, answers.systemRoot);
      ui.success(`installed ${installed.join(', ')}`);
    } catch (error) {
      // The terminal itself is provisioned; only the services are missing, so say exactly what to do.
      ui.warn(
        `could not install the system files (${(error as Error).message}); install them as root, exactly:\n${formatSystemPlan(plan)}`,
      );
    }
  } else {
    ui.info(`not root: install these files as root, exactly:\n${formatSystemPlan(plan)}`);
  }

  ui.step('6/6 Doctor and summary');
  const checks = await runDoctor({ configFile });
  ui.info(formatChecks(checks));
  handOver(answers, accounts, ui, true); // doctor ran as root: anything it created goes to the service too
  const summaryInput = {
    ...ids,
    brokerUrl: enrolled.brokerUrl,
    rootFingerprint: enrolled.fingerprint,
    scanner: scanner ? describeScanner(scanner) : 'none',
    printer: printer ? describePrinter(printer) : 'none',
    checks,
    at: now(),
  };
  const summary = summaryLines(summaryInput);
  if (printer) {
    try {
      await printDocument(printer, summarySlip(summaryInput));
      ui.success('summary slip printed');
    } catch (error) {
      ui.warn(`summary slip not printed: ${(error as Error).message}`);
    }
  }
  ui.info(summary.join('\n'));
  return { configFile, dataDir, checks, summary, installed };
}

function isProvisioned(dataDir: string, configFile: string): boolean {
  if (existsSync(configFile)) return true;
  try {
    return readdirSync(dataDir).length > 0;
  } catch {
    return false;
  }
}

/** One rename makes the new state visible; the replaced state is moved aside first and removed after. */
function commitState(staging: string, dataDir: string, replacing: boolean): void {
  mkdirSync(dirname(dataDir), { recursive: true });
  let old: string | undefined;
  if (existsSync(dataDir)) {
    if (!replacing) rmSync(dataDir, { recursive: true, force: true });
    else {
      old = `${dataDir}.old-${process.pid}`;
      renameSync(dataDir, old);
    }
  }
  renameSync(staging, dataDir);
  fsyncDir(dirname(dataDir));
  if (old) rmSync(old, { recursive: true, force: true });
}

/** Staging directories left by a run that was killed (its pid is gone) are removed. */
function removeStaleStaging(dataDir: string): void {
  const prefix = `${basename(dataDir)}.staging-`;
  let names: string[] = [];
  try {
    names = readdirSync(dirname(dataDir));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid !== process.pid && isAlive(pid)) continue;
    rmSync(join(dirname(dataDir), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
