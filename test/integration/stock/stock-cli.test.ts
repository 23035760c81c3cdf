import { afterAll, describe, expect, it } from 'vitest';
import { run as stock } from '../../../cli/receiving/stock-command.js';
import { run as stocktake } from '../../../cli/receiving/stocktake-command.js';
import { capturedIo } from '../../helpers/captured-io.js';
import { cn20, noteOf, signNote } from '../../helpers/receiving-fixture.js';
import { StockRig } from '../../helpers/stock-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

async function cli(run: typeof stock, argv: string[]) {
  const { io, out, err } = capturedIo();
  let thrown = '';
  const code = await run(argv, io).catch((e: Error) => {
    thrown = e.message;
    return 2;
  });
  return { code, out: out(), err: err() + thrown };
}

describe('veriterm stocktake / stock', () => {
  const tmp = makeTempDir('vt-stock-cli-');
  afterAll(() => tmp.cleanup());

  it('lists stocktakes and shipments, prints a report and its CSV, and stock with every move', async () => {
    const rig = StockRig.create(tmp.dir);
    const units = [cn20(0), cn20(1), cn20(2)];
    expect(rig.import(signNote(noteOf({ deliveryId: 'D-1', units }), rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-1');
    for (const u of units) s.scan(u);
    s.close({ outcome: 'complete' });
    const ship = rig.shipments.open({ kind: 'destruction', reason: 'damaged', openedBy: 'mgr' });
    rig.shipments.scan(ship.id, cn20(2));
    rig.shipments.close(ship.id, 'mgr');
    const t = rig.stocktakes.open({ scope: 'all', openedBy: 'clerk' });
    rig.stocktakes.scanMany(t.id, [cn20(0), cn20(9)]);
    rig.stocktakes.close(t.id);
    rig.close();

    const data = ['--data', tmp.dir];
    const listed = await cli(stocktake, ['list', ...data]);
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.out).toMatch(
      new RegExp(`^${t.id} {2}closed {5}scope all {2}by clerk at .* {2}record \\w+\\n$`),
    );
    expect((await cli(stocktake, ['shipments', ...data])).out).toContain(
      `${ship.id}  closed     destruction damaged`,
    );
    const report = await cli(stocktake, ['report', t.id, ...data]);
    expect(JSON.parse(report.out)).toMatchObject({
      expected: 2,
      found: 1,
      missing: { '6900001': [cn20(1).slice(7)] },
    });
    expect((await cli(stocktake, ['csv', t.id, ...data])).out).toBe(
      `code,product,difference,detail\n${cn20(1)},6900001,missing,on hand, not found\n${cn20(9)},6900001,extra,not received here\n`,
    );
    expect(await cli(stocktake, ['report', '01ARZ3NDEKTSV4RRFFQ69G5FAV', ...data])).toMatchObject({
      code: 1,
      err: expect.stringContaining('No stocktake'),
    });
    expect(await cli(stocktake, ['report', ...data])).toMatchObject({
      code: 2,
      err: expect.stringContaining('expected a stocktake ID'),
    });
    expect((await cli(stock, ['--csv', ...data])).out).toBe(
      'product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand\n6900001,3,0,0,0,0,1,0,2\n',
    );
    expect((await cli(stock, ['--unit', cn20(2), ...data])).out).toContain('"state":"destroyed"');
  });
});
