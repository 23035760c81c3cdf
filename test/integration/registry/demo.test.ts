import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_VERSION, openDemoRegistry } from '../../../terminal/registry/index.js';
import { VERDICT_KINDS } from '../../../terminal/verify/types.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('demo registry', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());

  it('holds a code for every verdict, with the facts the verdict needs', async () => {
    const { store, demo } = await openDemoRegistry(join(tmp.dir, 'demo'), join(tmp.dir, 'registry.db'));
    try {
      expect(store.state()).toMatchObject({ scope: 'demo', version: DEMO_VERSION });
      const byExpect = (v: string) =>
        demo.codes.filter((c) => c.expect === v).map((c) => store.lookup(c.key));
      // Every verdict but `malformed` (a scan that is not a code, not a registry entry).
      for (const verdict of VERDICT_KINDS.filter((v) => v !== 'malformed')) {
        expect(byExpect(verdict).length, verdict).toBeGreaterThan(0);
      }
      for (const r of byExpect('genuine')) expect(['active', 'received']).toContain(r.unit?.status);
      expect(byExpect('already_sold')[0]?.unit).toMatchObject({
        status: 'sold',
        soldAt: { store: expect.stringContaining('S0042') },
      });
      expect(byExpect('recalled')[0]?.batch?.recalled).toBe(true);
      expect(byExpect('withdrawn')[0]?.product?.withdrawn).toBe(true);
      for (const s of ['stolen', 'destroyed', 'locked']) expect(byExpect(s)[0]?.unit?.status).toBe(s);
      expect((byExpect('expired')[0]?.batch?.expiryDate ?? '9999') < '2025-01-01').toBe(true);
      const unknown = demo.codes.find((c) => c.reason === 'not_in_registry')!;
      expect(store.lookup(unknown.key)).toMatchObject({ product: { covered: true } });
      expect(store.lookup(unknown.key).unit).toBeUndefined();
      const uncovered = demo.codes.find((c) => c.reason === 'product_not_covered')!;
      expect(store.lookup(uncovered.key).product?.covered).toBe(false);
      const gtin = demo.codes.find((c) => c.reason === 'no_serial')!;
      expect(store.lookup(gtin.key)).toEqual({ product: expect.objectContaining({ key: gtin.key }) });
    } finally {
      store.close();
    }
    // Restarting the demo on the same directory and database keeps working.
    const again = await openDemoRegistry(join(tmp.dir, 'demo'), join(tmp.dir, 'registry.db'));
    expect(again.store.state()?.version).toBe(DEMO_VERSION);
    again.store.close();
  });
});
