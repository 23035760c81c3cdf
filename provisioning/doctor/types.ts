export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One line of `veriterm doctor`: what was checked, how it went, and what to do about it. */
export interface DoctorCheck {
  name: string;
  level: CheckLevel;
  message: string;
  /** What the technician should do (for warn/fail). */
  remedy?: string;
}

export const ok = (name: string, message: string): DoctorCheck => ({ name, level: 'ok', message });
export const warn = (name: string, message: string, remedy: string): DoctorCheck => ({
  name,
  level: 'warn',
  message,
  remedy,
});
export const fail = (name: string, message: string, remedy: string): DoctorCheck => ({
  name,
  level: 'fail',
  message,
  remedy,
});

export function formatChecks(checks: readonly DoctorCheck[]): string {
  return checks
    .map(
      (c) =>
        `${c.level.toUpperCase().padEnd(4)}  ${c.name}: ${c.message}${c.remedy && c.level !== 'ok' ? `\n      -> ${c.remedy}` : ''}`,
    )
    .join('\n');
}
