import type { RegistryState } from './types.js';

export type RegistryFreshness = 'fresh' | 'stale' | 'expired';

/**
 * How far verdicts may trust the registry. `expired`: the signed metadata expiry has passed
 * (freeze attack or no sync); `stale`: older than `maxAgeMs` since the publisher built it (the
 * "local module refuses after 72 h" rule, DOMAIN.md); both mean verdicts become `unverifiable`.
 * No registry at all counts as expired.
 */
export function registryFreshness(
  state: RegistryState | undefined,
  now: Date | number,
  maxAgeMs: number,
): RegistryFreshness {
  if (!state) return 'expired';
  const t = typeof now === 'number' ? now : now.getTime();
  if (Date.parse(state.expires) <= t) return 'expired';
  if (t - Date.parse(state.asOf) > maxAgeMs) return 'stale';
  return 'fresh';
}

/** Default maximum registry age: 72 hours (Chestny Znak local module, DOMAIN.md). */
export const DEFAULT_MAX_REGISTRY_AGE_MS = 72 * 3_600_000;
