import { EventEmitter } from 'node:events';
import type { HealthEntry, HealthItem, HealthLevel, HealthReporter, HealthSnapshot } from './types.js';

export type { HealthEntry, HealthSnapshot } from './types.js';

export interface HealthModelEvents {
  /** A component changed level, reason or details. */
  change: [HealthEntry];
}

const RANK: Record<HealthLevel, number> = { ok: 0, warn: 1, fail: 2 };

/**
 * The terminal's one health model (DESIGN.md `health/`). Every component reports under a stable id
 * (`scanner:<deviceId>`, `printer:<id>`, `registry`, `upstream`, `process`, …); the model keeps the
 * latest item per component, stamps `since` when the level changes and emits `change` only when
 * something a reader would see changed (repeated identical reports are free).
 */
export class HealthModel extends EventEmitter<HealthModelEvents> implements HealthReporter {
  readonly #items = new Map<string, HealthEntry>();
  readonly #clock: () => Date;

  constructor(deps: { clock?: () => Date } = {}) {
    super();
    this.#clock = deps.clock ?? (() => new Date());
  }

  report(component: string, item: HealthItem): void {
    const now = this.#clock().toISOString();
    const prev = this.#items.get(component);
    const since = prev && prev.level === item.level ? prev.since : now;
    const entry: HealthEntry = { component, ...item, since, updatedAt: now };
    this.#items.set(component, entry);
    const same =
      prev !== undefined &&
      prev.level === item.level &&
      prev.reason === item.reason &&
      prev.code === item.code &&
      JSON.stringify(prev.params) === JSON.stringify(item.params) &&
      JSON.stringify(prev.details) === JSON.stringify(item.details);
    if (!same) this.emit('change', entry);
  }

  /** Drops a component that no longer exists (a scanner removed from config). */
  remove(component: string): void {
    this.#items.delete(component);
  }

  get(component: string): HealthEntry | undefined {
    return this.#items.get(component);
  }

  snapshot(): HealthSnapshot {
    const items = [...this.#items.values()].sort((a, b) => a.component.localeCompare(b.component));
    const level = items.reduce<HealthLevel>(
      (worst, i) => (RANK[i.level] > RANK[worst] ? i.level : worst),
      'ok',
    );
    return { level, at: this.#clock().toISOString(), items };
  }
}
