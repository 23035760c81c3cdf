import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../terminal/db/atomic-write.js';
import { VeritermError } from '../terminal/errors.js';
import { createTerminalKey } from '../terminal/identity/index.js';
import { packageRoot } from '../terminal/package-root.js';
import type { Answers } from './answers.js';
import { askTerminal } from './answers-ask.js';
import { chooseDevices } from './choose-devices.js';
import { buildConfig } from './config-writer.js';
import { runTestPrint, runTestScan } from './device-tests.js';
import { type DetectOptions, describePrinter, describeScanner, printDocument } from './devices.js';
import { runDoctor } from './doctor/run-doctor.js';
import { type DoctorCheck, formatChecks } from './doctor/types.js';
import { type Enrolled, enrolStep } from './enrol-step.js';
import { assertPreflight, preflight } from './preflight.js';
import { type ExistingState, existingState } from './provision-state.js';
import { checkReadiness, type Readiness } from './readiness.js';
import { checkRuntime, ensureAccounts, handOver } from './service-setup.js';
import { summaryLines, summarySlip } from './slips.js';
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
  /** Whether the terminal can verify: published, answered by upstream, holding a registry. */
  readiness: Readiness;
}

/** The compiled CLI the systemd unit runs (`npm run build` makes it): production never runs the sources. */
const VERITERM_ENTRY = join(packageRoot(), 'dist', 'cli', 'veriterm.js');
/** The built kiosk page the terminal serves (terminal/main.ts DEFAULT_STATIC). */
const KIOSK_UI_INDEX = join(packageRoot(), 'kiosk-ui', 'dist', 'index.html');

/**
 * `veriterm provision`: the six steps, the same for the wizard and for `--answers`. Every check
 * that can fail (folders writable, CA file, build) runs before the one-time code is spent
 * (preflight.ts). Everything machine-written is built in a staging directory beside the data
 * directory and committed by one rename, then the config file is written atomically; any failure
 * before the commit removes the staging directory. A run that got past the commit but could not
 * write the config (a "half" state) is finished by running it again, without a new code.
 * Ends with the readiness check: published through the broker, answered by upstream, registry held.
 */
export async function provision(answers: Answers, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { ui } = deps;
  const now = deps.now ?? (() => new Date());
  const dataDir = resolve(answers.dataDir);
  const configFile = resolve(answers.configFile);
  const paths = statePaths(dataDir);
  const existing = existingState(paths, configFile);
  const replacing = await confirmReplace(ui, answers, existing, { configFile, dataDir });
  const half = existing.kind === 'half' && !answers.force ? existing : undefined;
  if (half)
    ui.warn(
      `${dataDir} holds the keys and credentials of terminal ${half.enrolment.storeId}/${half.enrolment.terminalId} (enrolled ${half.enrolment.enrolledAt}) but no config was written: finishing that provisioning, no new enrolment code is needed`,
    );

  const isRoot = deps.isRoot ?? (process.platform === 'linux' && process.getuid?.() === 0);
  const install =
    answers.install === 'install' ||
    (answers.install === 'auto' && (isRoot || resolve(answers.systemRoot) !== '/'));
  // The units' runtime (built, installed, reachable by the service user) before anything else.
  const runtime = await checkRuntime(answers, ui, { install, isRoot });

  ui.step('1/6 Terminal and devices');
  const terminal = await askTerminal(ui, answers, half?.enrolment);
  if (
    half &&
    (terminal.storeId !== half.enrolment.storeId || terminal.terminalId !== half.enrolment.terminalId)
  )
    throw new VeritermError(
      'already_provisioned',
      `${dataDir} holds the enrolment of ${half.enrolment.storeId}/${half.enrolment.terminalId}, not ${terminal.storeId}/${terminal.terminalId}: pass --force to wipe it and enrol with a new code`,
    );
  const ids = { storeId: terminal.storeId, terminalId: terminal.terminalId, role: terminal.role };
  const detect = deps.detect ?? {};
  const chosen = await chooseDevices(ui, answers, detect);
  const scanner = chosen.scanner;
  if (scanner && !answers.skipTestScan) await runTestScan(ui, scanner, answers, deps.onWaitingForScan);
  const printer =
    chosen.printer && !answers.skipTestPrint
      ? await runTestPrint(ui, chosen.printer, ids, { answers, detect, now })
      : chosen.printer;

  // Everything that can still fail is checked before the one-time code is spent.
  const checked = preflight({
    configFile,
    dataDir,
    ...(answers.brokerCaFile && !half ? { brokerCaFile: answers.brokerCaFile } : {}),
    built: { runtime: VERITERM_ENTRY, kioskUi: KIOSK_UI_INDEX },
    installsToSystem: install && resolve(answers.systemRoot) === '/',
  });
  for (const w of checked.warnings) ui.warn(w);
  const configFor = (link: LinkSettings) =>
    buildConfig(
      {
        ...ids,
        httpPort: terminal.httpPort,
        locale: terminal.locale,
        ...(scanner ? { scanner } : {}),
        ...(printer ? { printer } : {}),
        brokerUrl: link.brokerUrl,
        scope: link.scope,
        credentials: link.credentials,
      },
      paths,
    );
  // The devices and ports are validated now too (with a stand-in link): an invalid config must
  // not be found after the code is spent.
  const dryRun = (() => {
    try {
      configFor(half ? linkFromSavedEnrolment(half) : PLACEHOLDER_LINK);
      return [];
    } catch (error) {
      return [{ code: 'bad_config', message: (error as Error).message }];
    }
  })();
  assertPreflight([...checked.problems, ...dryRun]);
  // Service accounts before the code is spent (service-setup.ts).
  const accounts = ensureAccounts(answers, ids.role, ui, { install, isRoot });

  let config: ReturnType<typeof configFor>;
  let link: LinkSettings;
  if (half) {
    link = linkFromSavedEnrolment(half);
    config = configFor(link);
  } else {
    ({ link, config } = await enrolIntoDataDir(ui, answers, ids, dataDir, replacing, configFor));
  }

  ui.step('4/6 Configuration');
  try {
    writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o644);
  } catch (error) {
    // The code is spent and the keys are committed: keep them, so re-running finishes the job.
    throw new VeritermError(
      'config_not_written',
      `cannot write ${configFile} (${(error as Error).message}); the terminal is enrolled and its keys are in ${dataDir}: fix the folder, then re-run the same veriterm provision command (no new code needed)`,
    );
  }
  ui.success(`wrote ${configFile}; keys, pinned root and credentials in ${dataDir}`);

  const readiness = await checkReadiness(ui, config.sync, ids, paths, {
    probeMs: answers.readinessTimeoutMs,
    registryMs: answers.registryTimeoutMs,
  });
  if (!readiness.ready && readiness.cause !== 'not_checked')
    ui.warn(`not ready [${readiness.cause}]: ${readiness.message}\n   -> ${readiness.remedy}`);

  ui.step('5/6 System services');
  const plan = systemPlan({
    configFile,
    dataDir,
    role: ids.role,
    httpPort: terminal.httpPort,
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
    brokerUrl: link.brokerUrl,
    rootFingerprint: link.fingerprint,
    kioskUrl: kioskUrl(terminal.httpPort),
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
  return { configFile, dataDir, checks, summary, installed, readiness };
}

/** An existing provisioning is replaced only with --force (or a yes on a TTY); a half one is finished. */
async function confirmReplace(
  ui: ProvisionUi,
  answers: Answers,
  existing: ExistingState,
  where: { configFile: string; dataDir: string },
): Promise<boolean> {
  if (existing.kind === 'none') return false;
  if (existing.kind === 'half') return answers.force;
  if (answers.force) return true;
  const go =
    ui.interactive &&
    (await ui.confirm({
      key: 'force',
      message: `${where.configFile} / ${where.dataDir} already hold a provisioned terminal. Wipe its keys and data and start over?`,
      initial: false,
    }));
  if (!go)
    throw new VeritermError(
      'already_provisioned',
      `this machine is already provisioned (${where.configFile}, ${where.dataDir}): run veriterm decommission first, or pass --force to replace it`,
    );
  return true;
}

interface LinkSettings {
  brokerUrl: string;
  scope: string;
  fingerprint: string;
  credentials: { password: boolean; clientCert: boolean; ca: boolean };
}

/** Stands in for the link enrolment will bring, to validate the rest of the config beforehand. */
const PLACEHOLDER_LINK: LinkSettings = {
  brokerUrl: 'mqtts://preflight.invalid:8883',
  scope: 'preflight',
  fingerprint: '',
  credentials: { password: true, clientCert: false, ca: true },
};

/**
 * Steps 2 and 3: the key and the enrolment, built in a staging folder beside the data folder and
 * committed by one rename; any failure before that removes the staging folder.
 */
async function enrolIntoDataDir<C>(
  ui: ProvisionUi,
  answers: Answers,
  ids: { storeId: string; terminalId: string; role: 'kiosk' | 'checkout' },
  dataDir: string,
  replacing: boolean,
  configFor: (link: LinkSettings) => C,
): Promise<{ link: LinkSettings; config: C }> {
  const staging = statePaths(`${dataDir}.staging-${process.pid}`);
  removeStaleStaging(dataDir);
  try {
    ui.step('2/6 Identity');
    // Folders above keep the default mode (a recursive mkdir would make them 0700 too).
    mkdirSync(dirname(staging.dataDir), { recursive: true });
    mkdirSync(staging.dataDir, { mode: 0o700 });
    const identity = createTerminalKey(staging.terminalKey);
    ui.success(`terminal key ${identity.keyId} created (Ed25519, mode 600; the private key is never shown)`);
    ui.step('3/6 Enrolment');
    const enrolled: Enrolled = await enrolStep(ui, answers, ids, identity, staging);
    const link = {
      brokerUrl: enrolled.brokerUrl,
      scope: enrolled.grant.registry.scope,
      fingerprint: enrolled.fingerprint,
      credentials: enrolled.credentials,
    };
    // Built (and validated) before the commit: a config that cannot be made commits nothing.
    const config = configFor(link);
    commitState(staging.dataDir, dataDir, replacing);
    return { link, config };
  } catch (error) {
    rmSync(staging.dataDir, { recursive: true, force: true });
    throw error;
  }
}

function linkFromSavedEnrolment(half: Extract<ExistingState, { kind: 'half' }>): LinkSettings {
  return {
    brokerUrl: half.enrolment.brokerUrl,
    scope: half.enrolment.scope,
    fingerprint: half.enrolment.rootFingerprint,
    credentials: half.credentials,
  };
}

/** The address the kiosk page is reached at from the store's network (printed on the slip). */
export function kioskUrl(port: number): string {
  const nets = Object.values(networkInterfaces()).flat();
  const lan = nets.find((n) => n && n.family === 'IPv4' && !n.internal);
  return `http://${lan?.address ?? 'localhost'}:${port}/`;
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
