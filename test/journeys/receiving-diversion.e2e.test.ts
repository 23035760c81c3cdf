/**
 * receiving.mode warn on the real stack (a terminal process from `veriterm run --config`, the
 * reference upstream, spawned mosquitto): a unit this store checked in sells quietly; a unit it
 * never received sells with a note, and the `diversion` alert reaches upstream once, in the same
 * ordered record stream as the sale.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../terminal/db/open-database.js';
import { deliverInto } from '../helpers/receive-into.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CODE_BY_NAME } from './lib/registry-fixture.js';
import { StoreDayStack, until } from './lib/stack.js';

const received = CODE_BY_NAME.get('a1')!;
const neverReceived = CODE_BY_NAME.get('b1')!;

describe.skipIf(!hasSystemTool('mosquitto'))('receiving.mode warn: a diversion travels upstream', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let stack: StoreDayStack;

  beforeAll(async () => {
    tmp = makeTempDir('vt-journey-receiving-');
    stack = await StoreDayStack.start(join(tmp.dir, 'stack'), ['S1'], {
      terminalConfig: { receiving: { mode: 'warn' } },
    });
    // The clerk checks a1 in at the back door (same terminal.db, beside the running process).
    const s1 = stack.store('S1').terminal;
    const db = openDatabase(join(s1.dataDir, 'terminal.db'));
    try {
      const session = deliverInto({ db }, { deliveryId: 'ASN-J1', units: [received.scan] });
      expect(session.scan(received.scan).checkedIn).toBe(1);
    } finally {
      db.close();
    }
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
  });

  it('sells both; only the unreceived line is flagged, and its alert arrives upstream once', {
    timeout: 120_000,
  }, async () => {
    const s1 = stack.store('S1').terminal;
    expect((await s1.check(neverReceived.scan)).body).toMatchObject({
      status: 'ok',
      data: { sellable: true, flag: 'not_received' },
    });
    const sale = await s1.sale({
      externalRef: 'j-div-1',
      lines: [{ data: received.scan }, { data: neverReceived.scan }],
    });
    expect(sale.status, JSON.stringify(sale.body)).toBe(201);
    if (sale.body.status !== 'ok') throw new Error(JSON.stringify(sale.body));
    const { saleId } = sale.body.data;
    const lines = (sale.body.data as unknown as { lines: { codeKey: string; flag?: string }[] }).lines;
    expect(lines.map((l) => l.flag)).toEqual([undefined, 'not_received']);

    const upstreamAlerts = () =>
      (
        stack.upstreamDb
          .prepare(
            "SELECT seq, payload FROM up_records WHERE store_id = 'S1' AND terminal_id = 'T1' AND type = 'alert' ORDER BY seq",
          )
          .all() as { seq: number; payload: string }[]
      ).map((r) => ({ seq: r.seq, ...(JSON.parse(r.payload) as { kind?: string }) }));
    const alerts = await until(
      () => {
        const found = upstreamAlerts().filter((a) => a.kind === 'diversion');
        return found.length > 0 && s1.outbox().pending === 0 ? found : undefined;
      },
      'the diversion alert acknowledged by upstream',
      { state: () => ({ outbox: s1.outbox() }) },
    );
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'diversion',
        codeKey: neverReceived.key,
        reason: 'not_received',
        note: expect.stringContaining(saleId),
        attempt: expect.objectContaining({ storeId: 'S1', terminalId: 'T1' }),
      }),
    ]);
    // Upstream holds the sale right before it, in the terminal's order, and nothing twice.
    const saleRow = stack.upstreamDb
      .prepare("SELECT seq FROM up_records WHERE store_id = 'S1' AND id = ?")
      .get(saleId) as { seq: number } | undefined;
    expect(saleRow).toBeDefined();
    expect(alerts[0]!.seq).toBeGreaterThan(saleRow!.seq);
    expect(s1.records().filter((r) => r.type === 'alert')).toHaveLength(1);
  });
});
