import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VeritermError } from '../terminal/errors.js';

export interface PreflightInput {
  configFile: string;
  dataDir: string;
  /** CA for the enrolment connection, when given. */
  brokerCaFile?: string;
  /** Files the installed units need: the compiled CLI and the built kiosk page. */
  built: { runtime: string; kioskUi?: string };
  /** Units go to the real system ('/'): a missing build is then fatal, not a warning. */
  installsToSystem: boolean;
}

export interface PreflightProblem {
  code: string;
  message: string;
}

/**
 * Everything provisioning will need after the one-time enrolment code is spent, checked before it
 * is: a code burnt on a read-only config folder leaves a terminal enrolled upstream with nothing
 * usable here. Only looks (no folder is created): the answers may still be wrong.
 * Returns the problems that stop provisioning and the warnings to show first.
 */
export function preflight(input: PreflightInput): { problems: PreflightProblem[]; warnings: string[] } {
  const problems: PreflightProblem[] = [];
  const warnings: string[] = [];
  const configDir = dirname(resolve(input.configFile));
  const folder = (what: string, dir: string, code: string, why: string) => {
    const p = writableFolder(dir);
    if (p) problems.push({ code, message: `${what} ${dir} ${p}: ${why}` });
  };
  if (existsSync(input.configFile) && statSync(input.configFile).isDirectory())
    problems.push({
      code: 'config_dir_not_writable',
      message: `the config file ${input.configFile} is a folder: pass --config with a file name`,
    });
  folder(
    'config folder',
    configDir,
    'config_dir_not_writable',
    `run provision as root, or pass --config FILE in a folder you may write`,
  );
  // The staging folder is created beside the data folder, then renamed onto it.
  folder(
    'data folder',
    dirname(resolve(input.dataDir)),
    'data_dir_not_writable',
    `run provision as root, or pass --data-dir DIR in a folder you may write`,
  );
  if (existsSync(input.dataDir) && !statSync(input.dataDir).isDirectory())
    problems.push({
      code: 'data_dir_not_writable',
      message: `the data folder ${input.dataDir} is a file: pass --data-dir with a folder`,
    });
  if (input.brokerCaFile !== undefined) {
    const ca = caProblem(input.brokerCaFile);
    if (ca) problems.push(ca);
  }
  const missing = [input.built.runtime, input.built.kioskUi].filter(
    (f): f is string => f !== undefined && !existsSync(f),
  );
  if (missing.length > 0) {
    const text = `not built: ${missing.join(', ')}; run \`npm run build\` in the veriterm folder first (the installed units run the compiled runtime and serve the built kiosk page)`;
    if (input.installsToSystem) problems.push({ code: 'not_built', message: text });
    else warnings.push(text);
  }
  return { problems, warnings };
}

/** Throws the first problem's code with every problem listed, each with its fix. */
export function assertPreflight(problems: readonly PreflightProblem[]): void {
  const first = problems[0];
  if (!first) return;
  // One problem: its code ends the CLI's line already.
  const lines = problems.map((p) => `  ${p.message}${problems.length > 1 ? ` [${p.code}]` : ''}`);
  throw new VeritermError(
    first.code,
    `cannot provision, nothing was sent upstream (the enrolment code is still valid):\n${lines.join('\n')}`,
  );
}

/**
 * Why `dir` (or, when it does not exist yet, the nearest folder above it, where it would be
 * created) cannot take new files; undefined when it can. access(2) W_OK also reports a read-only
 * file system (EROFS), which root is subject to as well.
 */
function writableFolder(dir: string): string | undefined {
  let at = dir;
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (!statSync(at).isDirectory()) return `cannot be created (${at} is a file)`;
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const st = statSync(at);
    const where = at === dir ? '' : ` (it would be created in ${at})`;
    if (code === 'EROFS') return `is on a read-only file system${where}`;
    return `is not writable for this user${where}; ${at} is owned by uid ${st.uid}, mode 0${(st.mode & 0o777).toString(8)}`;
  }
}

function caProblem(file: string): PreflightProblem | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      code: 'ca_file_missing',
      message:
        code === 'ENOENT'
          ? `the broker CA file ${file} does not exist: copy the broker's CA certificate (PEM, from the upstream operator) there, or leave --broker-ca out (the sealed grant then brings the CA)`
          : `the broker CA file ${file} cannot be read (${code ?? 'error'}): check its owner and mode`,
    };
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    return {
      code: 'ca_file_invalid',
      message: `the broker CA file ${file} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
    };
  return undefined;
}
