import { describe, expect, it } from 'vitest';
import { hasValidCheckDigit } from '../../../terminal/codes/check-digit.js';
import { registryFreshness } from '../../../terminal/registry/index.js';
import { synthAllUnits, synthPlan } from '../../../terminal/registry/synth.js';

describe('registryFreshness', () => {
  const state = {
    scope: 's',
    version: 1,
    asOf: '2026-11-01T00:00:00.000Z',
    expires: '2026-11-10T00:00:00.000Z',
    units: 1,
    contentHash: '',
  };
  const H = 3_600_000;
  it('is fresh within max age, stale past it, expired past the signed expiry or with no registry', () => {
    expect(registryFreshness(state, new Date('2026-11-02T00:00:00Z'), 72 * H)).toBe('fresh');
    expect(registryFreshness(state, new Date('2026-11-05T00:00:00Z'), 72 * H)).toBe('stale');
    expect(registryFreshness(state, Date.parse('2026-11-10T00:00:00Z'), 1000 * H)).toBe('expired');
    expect(registryFreshness(undefined, new Date(), 72 * H)).toBe('expired');
  });
});

describe('synthesized registry', () => {
  it('is realistic: both key kinds with valid GS1 check digits, zh-CN/en names, recalls, sold units', () => {
    const plan = synthPlan({ units: 5000 });
    expect(plan.length).toBeGreaterThanOrEqual(12);
    for (const p of plan) {
      expect(p.product.names['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      expect(p.product.names.en).toMatch(/[A-Za-z]/);
      if (p.product.key.length === 16) expect(hasValidCheckDigit(p.product.key.slice(2))).toBe(true);
      else expect(p.product.key).toMatch(/^\d{7}$/);
    }
    const units = [...synthAllUnits(plan)];
    expect(units).toHaveLength(5000);
    const keys = units.map((u) => u.key);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(units.some((u) => u.key.length === 20)).toBe(true);
    expect(units.some((u) => u.key.startsWith('01') && u.key.length > 20)).toBe(true);
    const sold = units.filter((u) => u.status === 'sold');
    expect(sold.length).toBeGreaterThan(100);
    expect(sold.every((u) => u.soldAt?.store && u.soldAt.at)).toBe(true);
    expect(plan.some((p) => p.batches.some((b) => b.recalled))).toBe(true);
  });
});
