import type { Reason } from './reason-codes.js';

/** One line of terminal health: what a manager sees on a tile. */
export type HealthLevel = 'ok' | 'warn' | 'fail';

/**
 * A component's state. `code` and `params` (health/reason-codes.ts) are what the manager page
 * translates; `reason` is the same in English, for the MQTT status summary, API readers and as the
 * page's fallback for a code it does not know.
 */
export type HealthItem = Reason & {
  level: HealthLevel;
  /** A reason a store manager understands: "Paper out", "No scan since unplugged at 10:42". */
  reason: string;
  /** Machine-readable details for the manager page and /metrics. */
  details?: Record<string, unknown>;
};

/**
 * Components report their state under a stable id (`scanner:<deviceId>`, `printer:<id>`,
 * `registry`, `upstream`, …). The health model stamps `since` when the level changes.
 */
export interface HealthReporter {
  report(component: string, item: HealthItem): void;
}

/** One component's current state, stamped with when its level last changed. */
export type HealthEntry = HealthItem & {
  component: string;
  /** ISO time the level last changed (what a manager reads as "since 10:42"). */
  since: string;
  /** ISO time of the latest report. */
  updatedAt: string;
};

export interface HealthSnapshot {
  /** Worst level of all items (`ok` when there are none). */
  level: HealthLevel;
  at: string;
  items: HealthEntry[];
}
