import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';
import { checkResponse, decideLine } from '../../../terminal/lanes/line-decision.js';
import type { Verdict, VerdictKind } from '../../../terminal/verify/types.js';

/** The line decision with a quantity (split packs, 拆零), pure: every case the sale and the check share. */
const code = parseCode('69077770000000011234');
if (!code.ok) throw new Error('fixture code does not parse');
const SPLIT = { packQuantity: 10, unit: 'strip' };
const product = (split?: typeof SPLIT) => ({
  key: '6907777',
  names: { 'zh-CN': '阿莫西林胶囊', en: 'Amoxicillin capsules' },
  manufacturer: 'Acme',
  covered: true,
  ...(split ? { split } : {}),
});

function verdict(kind: VerdictKind, extra: Partial<Verdict> = {}): Verdict {
  return {
    verdict: kind,
    reason: kind === 'genuine' ? 'active' : kind,
    sellable: kind === 'genuine',
    code: code.ok ? code : undefined,
    product: product(SPLIT),
    history: { checksHere: 0 },
    checkedAt: '2026-12-07T10:00:00.000Z',
    ...extra,
  };
}

describe('decideLine with a quantity', () => {
  it('a part of an unopened pack: sellable, no write-off, the part recorded', () => {
    const d = decideLine(verdict('genuine'), undefined, { quantity: 3 });
    expect(d).toMatchObject({
      outcome: 'sellable',
      writeOff: undefined,
      part: { quantity: 3, packQuantity: 10, remaining: 10 },
    });
    expect(d.message).toBe('Sellable; 3/10 strips, 7 left');
  });

  it('the last part writes the code off; no quantity on an opened pack sells what is left', () => {
    const opened = verdict('genuine', { split: { ...SPLIT, remaining: 4 } });
    expect(decideLine(opened, undefined, { quantity: 4 })).toMatchObject({
      writeOff: code.ok ? code.key : '',
      part: { quantity: 4 },
    });
    expect(decideLine(opened)).toMatchObject({
      writeOff: code.ok ? code.key : '',
      part: { quantity: 4, remaining: 4 },
    });
  });

  it('no quantity on an unopened pack is the whole-pack decision, unchanged', () => {
    expect(decideLine(verdict('genuine'))).toEqual(decideLine(verdict('genuine', { product: product() })));
  });

  it.each<[string, Verdict, number, string]>([
    ['more than is left', verdict('genuine', { split: { ...SPLIT, remaining: 4 } }), 5, 'exceeds_remaining'],
    ['more than the pack holds', verdict('genuine'), 11, 'exceeds_remaining'],
    ['a product sold whole only', verdict('genuine', { product: product() }), 1, 'not_splittable'],
    [
      'a pack sold out in parts here',
      verdict('already_sold', {
        split: { ...SPLIT, remaining: 0 },
        sold: { where: 'here', storeId: 's1', at: '2026-12-07T09:00:00.000Z' },
      }),
      1,
      'exceeds_remaining',
    ],
  ])('refuses %s with a named reason and no alert', (_what, v, quantity, reason) => {
    const d = decideLine(v, undefined, { quantity });
    expect(d).toMatchObject({ outcome: 'refused', reason });
    expect(d.alert).toBeUndefined();
    expect(checkResponse(v, { quantity })).toMatchObject({ decision: 'refused', reason, sellable: false });
  });

  it('a quantity never makes an unsellable verdict sellable; a whole-pack line of a sold pack is still a clone', () => {
    expect(decideLine(verdict('recalled'), undefined, { quantity: 2 })).toMatchObject({
      outcome: 'refused',
      reason: 'recalled',
    });
    const soldElsewhere = verdict('already_sold', {
      sold: { where: 'upstream', storeId: 's9', at: '2026-12-01T00:00:00.000Z' },
    });
    expect(decideLine(soldElsewhere, undefined, { quantity: 1 })).toMatchObject({
      outcome: 'refused',
      alert: 'clone',
    });
    expect(decideLine(soldElsewhere)).toMatchObject({ outcome: 'refused', alert: 'clone' });
  });
});
