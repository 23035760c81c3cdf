/**
 * Issue 18's sync journey with the terminal as its own process (the production `veriterm run`,
 * test/journeys/lib): the reference upstream sends a delivery note and the running terminal
 * accepts it over mosquitto; the store's link goes down; the delivery is checked in and closed on
 * the terminal's database while the link is down (the terminal SIGKILLed first: two ledger writers
 * on one file would fork the chain; the /receiving page will do this in the process); the terminal
 * starts and is SIGKILLed again while still offline; the link returns and the `receipt` reaches
 * upstream exactly once: `received` unit events upstream equal the units accepted.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../terminal/db/open-database.js';
import { loadOrCreateTerminalKey, TERMINAL_KEY_FILE } from '../../terminal/identity/index.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import { ReceivingSession } from '../../terminal/receiving/checkin-service.js';
import { ReceivingStore, readNotes } from '../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../terminal/registry/testing/memory-registry.js';
import { cn20, noteOf, pallet } from '../helpers/receiving-fixture.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { StoreDayStack, until } from './lib/stack.js';

describe.skipIf(!hasSystemTool('mosquitto'))(
  'delivery note → offline check-in → receipt once (terminal process)',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let stack: StoreDayStack;

    beforeAll(async () => {
      tmp = makeTempDir('vt-journey-delivery-');
      stack = await StoreDayStack.start(join(tmp.dir, 'stack'), ['S1']);
    }, 180_000);
    afterAll(async () => {
      await stack?.close();
      tmp?.cleanup();
    });

    it('the receipt of a delivery checked in offline arrives upstream once after a restart and the link returning', async () => {
      const s1 = stack.store('S1');
      const terminalDb = join(s1.terminal.dataDir, 'terminal.db');
      const body = noteOf({
        deliveryId: 'ASN-PROC-1',
        pallets: [pallet(11, 4, 5, 1), pallet(12, 2, 5, 500)],
        units: [cn20(990), cn20(991), cn20(992)],
      });
      const outcome = await stack.upstream.deliveries.send({ storeId: 'S1', terminalId: 'T1' }, body, {
        timeoutMs: 60_000,
      });
      expect(outcome).toMatchObject({ status: 'accepted', deliveryId: 'ASN-PROC-1', units: 33 });

      // The store's link goes down; the terminal goes down with it.
      stack.setLink('S1', false);
      await s1.terminal.kill();
      const db = openDatabase(terminalDb);
      const ledger = new Ledger({
        db,
        identity: loadOrCreateTerminalKey(join(s1.terminal.dataDir, TERMINAL_KEY_FILE)),
        storeId: 'S1',
        terminalId: 'T1',
      });
      expect(readNotes(db).map((n) => [n.deliveryId, n.state])).toEqual([['ASN-PROC-1', 'open']]);
      const session = new ReceivingSession(
        {
          store: new ReceivingStore(db),
          ledger,
          registry: new MemoryRegistry({ products: [], batches: [], units: [] }),
        },
        'ASN-PROC-1',
      );
      expect(session.scan(`(00)${body.pallets![0]!.sscc}`)).toMatchObject({ ok: true, checkedIn: 20 });
      expect(session.scan(cn20(990))).toMatchObject({ ok: true, checkedIn: 1 });
      expect(session.scan(cn20(991))).toMatchObject({ ok: true, checkedIn: 1 });
      const receipt = session.close({ outcome: 'partial', reason: 'pallet 12 short' });
      const accepted = 22;
      ledger.close();
      db.close();

      // Started and SIGKILLed again while offline: the receipt waits in the outbox on disk.
      await s1.terminal.start();
      expect(s1.terminal.outbox().pending).toBeGreaterThanOrEqual(1);
      await s1.terminal.kill();
      await s1.terminal.start();
      expect(stack.upstream.store.lastSeq('S1', 'T1')).toBeLessThan(receipt.seq);

      // The link returns.
      await stack.settle();
      const received = () =>
        (
          stack.upstreamDb
            .prepare("SELECT count(*) AS n FROM up_unit_events WHERE status = 'received' AND store_id = 'S1'")
            .get() as { n: number }
        ).n;
      const receipts = () =>
        (
          stack.upstreamDb
            .prepare("SELECT count(*) AS n FROM up_records WHERE type = 'receipt' AND store_id = 'S1'")
            .get() as { n: number }
        ).n;
      await until(() => received() === accepted, 'received unit events upstream', { timeoutMs: 30_000 });
      expect(receipts()).toBe(1);
      const [listed] = (await stack.upstream.deliveries.log.list({ storeId: 'S1' })).notes;
      expect(listed).toMatchObject({ deliveryId: 'ASN-PROC-1', status: 'accepted', units: 33 });
      expect(listed!.receipts.map((r) => [r.outcome, r.acceptedUnits, r.expectedUnits])).toEqual([
        ['partial', accepted, 33],
      ]);

      // Once more offline and back: nothing is sent twice.
      stack.setLink('S1', false);
      await s1.terminal.kill();
      await s1.terminal.start();
      await stack.settle();
      expect(received()).toBe(accepted);
      expect(receipts()).toBe(1);
    }, 300_000);
  },
);
