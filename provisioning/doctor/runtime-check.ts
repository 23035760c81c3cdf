import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../terminal/package-root.js';
import { runtimeProblems } from '../runtime-check.js';
import { type DoctorCheck, fail, ok, warn } from './types.js';

/** Whether this doctor runs compiled (dist/, as the service does) rather than from the sources. */
const compiled = !fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * The runtime the service runs: compiled CLI and kiosk UI built and current, in a place the
 * service user can read (provisioning/runtime-check.ts). A doctor run from the sources is a
 * development run, so a missing build is a WARN there and a FAIL for an installed terminal.
 */
export async function checkRuntimeBuilt(root = packageRoot(), fromSources = !compiled): Promise<DoctorCheck> {
  const problems = await runtimeProblems(root, process.execPath);
  if (problems.length === 0) return ok('runtime', `${root}: dist/ and the kiosk UI are built`);
  const message = problems.map((p) => p.text).join('; ');
  const buildFixes = problems.some((p) => p.buildFixes);
  const remedy = buildFixes
    ? `run \`npm run build\` in ${root}, then systemctl restart veriterm`
    : 'install veriterm at /opt/veriterm and re-run veriterm provision';
  const cause = buildFixes ? 'runtime_not_built' : 'runtime_unreadable';
  return fromSources ? warn('runtime', message, remedy, cause) : fail('runtime', message, remedy, cause);
}
