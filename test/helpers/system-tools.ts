import { execFileSync } from 'node:child_process';

const cache = new Map<string, boolean>();

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a system tool (mosquitto, socat, chromium…) is installed. When it is not, this says so
 * loudly; under CI=true it throws, so a missing tool fails the run instead of hiding a gap.
 * Use as `describe.skipIf(!hasSystemTool('socat'))(…)`.
 */
export function hasSystemTool(tool: string, path = tool): boolean {
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  const found = onPath(path);
  cache.set(path, found);
  if (!found) {
    const message = `MISSING SYSTEM TOOL: ${tool} (${path}) is not installed; its tests are SKIPPED. Install it (apt-get install -y ${tool}) or run .ci/run.`;
    if (process.env.CI === 'true') throw new Error(`${message} Under CI=true this is a failure.`);
    console.warn(`\n!!! ${message}\n`);
  }
  return found;
}
