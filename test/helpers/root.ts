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
