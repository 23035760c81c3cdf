import { afterAll, describe, expect, it } from 'vitest';
import { StockReads } from '../../../terminal/stock/stock-reads.js';
import { cn20, noteOf, signNote } from '../../helpers/receiving-fixture.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Counts and reports answered by the reads thread's own connection: the same answers as here. */
describe('stock reads on a worker thread', () => {
  const tmp = makeTempDir('vt-stock-reads-');
  afterAll(() => tmp.cleanup());

  it('answers counts and reports from its own connection, sees commits, names refusals, falls back once closed', async () => {
    const rig = StockRig.create(tmp.dir);
    const units = [cn20(0), cn20(1), cn20(2)];
    expect(rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-1');
    for (const u of units) s.scan(u);
    s.close({ outcome: 'complete' });
    // What runs here throws: every answer below that succeeds came from the thread.
    const broken = () => {
      throw new Error('read on the event loop');
    };
    const here = {
      store: { reader: { countsByProduct: broken } },
      stocktakes: { report: broken },
    } as never;
    const reads = new StockReads(here, rig.file);
    try {
      expect(await reads.counts()).toEqual(rig.stock.reader.countsByProduct());
      const t = rig.stocktakes.open({ scope: 'all', openedBy: 'c' });
      rig.stocktakes.scanMany(t.id, [cn20(0), cn20(7)]);
      expect(await reads.report(t.id)).toEqual(rig.stocktakes.report(t.id));
      // The JSON text the API sends and the CSV are made there too.
      expect(JSON.parse(await reads.reportJson(t.id))).toEqual(rig.stocktakes.report(t.id));
      expect(await reads.csv(t.id)).toBe(rig.stocktakes.csv(t.id));
      // A commit on the main connection is seen by the next read.
      rig.sell([cn20(1)]);
      expect((await reads.counts())[0]).toMatchObject({ sold: 1, onHand: 2 });
      await expect(reads.report('01ARZ3NDEKTSV4RRFFQ69G5FAV')).rejects.toMatchObject({
        code: 'session_unknown',
        message: expect.stringContaining('No stocktake'),
      });
    } finally {
      await reads.close();
    }
    await reads.close();
    // Closed: reads run here.
    await expect(reads.counts()).rejects.toThrow(/read on the event loop/);
    const local = new StockReads({ store: rig.stock, stocktakes: rig.stocktakes }, undefined);
    expect(await local.counts()).toEqual(rig.stock.reader.countsByProduct());
    rig.close();
  });
});
