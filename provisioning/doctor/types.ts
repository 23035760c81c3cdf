export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One line of `veriterm doctor`: what was checked, how it went, and what to do about it. */
export interface DoctorCheck {
  name: string;
  level: CheckLevel;
  message: string;
  /** What the technician should do (for warn/fail). */
  remedy?: string;
  /**
   * Stable code of the cause (warn/fail), e.g. `permission_denied`, `printer_paper_out`,
   * `publish_refused`: each cause has its own remedy (test/integration/provisioning/doctor-causes).
   */
  cause?: string;
}

export const ok = (name: string, message: string): DoctorCheck => ({ name, level: 'ok', message });
export const warn = (name: string, message: string, remedy: string, cause?: string): DoctorCheck => ({
  name,
  level: 'warn',
  message,
  remedy,
  ...(cause ? { cause } : {}),
});
export const fail = (name: string, message: string, remedy: string, cause?: string): DoctorCheck => ({
  name,
  level: 'fail',
  message,
  remedy,
  ...(cause ? { cause } : {}),
});

export function formatChecks(checks: readonly DoctorCheck[]): string {
  return checks
    .map(
      (c) =>
        `${c.level.toUpperCase().padEnd(4)}  ${c.name}: ${c.message}${c.cause && c.level !== 'ok' && !c.message.endsWith(`[${c.cause}]`) ? ` [${c.cause}]` : ''}${c.remedy && c.level !== 'ok' ? `\n      -> ${c.remedy}` : ''}`,
    )
    .join('\n');
}
