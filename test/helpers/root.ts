import { join } from 'node:path';

/**
 * Whether this process runs as root (useradd, chown to another user, setpriv). When it does not,
 * this says so loudly; under CI=true it throws, so a run without root fails instead of hiding a gap.
 */
export function runsAsRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const message = `NOT ROOT: ${what} needs root; its tests are SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${message}. Under CI=true this is a failure.`);
  console.warn(`\n!!! ${message}\n`);
  return false;
}

/** Where the service's sandbox hides files (ProtectHome=, PrivateTmp=): provisioning/runtime-check.ts. */
const SANDBOX_HIDDEN = ['/home', '/root', '/run/user', '/tmp', '/var/tmp'];

/**
 * A work folder for packages the runtime check must accept as a service's location: under the
 * checkout's test/artifacts normally, but under /srv when the checkout itself lives where the
 * sandbox hides it (a clone in /tmp or a home folder), so the tests do not depend on where the
 * repository was cloned. The caller removes it.
 */
export function serviceVisibleWorkDir(checkoutRoot: string, name: string): string {
  const hidden = SANDBOX_HIDDEN.some((h) => checkoutRoot === h || checkoutRoot.startsWith(`${h}/`));
  return hidden
    ? join('/srv', 'veriterm-test', `${name}-${process.pid}`)
    : join(checkoutRoot, 'test', 'artifacts', `${name}-${process.pid}`);
}
