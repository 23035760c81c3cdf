/** One line of terminal health: what a manager sees on a tile. */
export type HealthLevel = 'ok' | 'warn' | 'fail';

export interface HealthItem {
  level: HealthLevel;
  /** A reason a store manager understands: "Paper out", "No scan since unplugged at 10:42". */
  reason: string;
  /** Machine-readable details for the manager page and /metrics. */
  details?: Record<string, unknown>;
}

/**
 * Components report their state under a stable id (`scanner:<deviceId>`, `printer:<id>`,
 * `registry`, `upstream`, …). The health model stamps `since` when the level changes.
 */
export interface HealthReporter {
  report(component: string, item: HealthItem): void;
}
