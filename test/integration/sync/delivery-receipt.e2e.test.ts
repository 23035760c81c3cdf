/**
 * Issue 18's sync journey on a spawned mosquitto: `veriterm upstream delivery send` signs a note
 * and the store's terminal receives it; the store's link goes down; the delivery is checked in
 * (pallet scan, a loose unit) and closed partial offline; the terminal restarts while still
 * offline; the link returns and the `receipt` reaches upstream exactly once: the `received` unit
 * events upstream equal the units accepted, and `veriterm upstream deliveries` shows it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { list as deliveriesList, send as deliverySend } from '../../../cli/upstream/delivery.js';
import { ReceivingSession } from '../../../terminal/receiving/checkin-service.js';
import { ReceivingStore, readNotes } from '../../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../../terminal/registry/testing/memory-registry.js';
import type { SyncOptionsInput } from '../../../terminal/sync/options.js';
import { loadOrCreateCommandKey } from '../../../upstream/start-upstream.js';
import { runCaptured } from '../../helpers/captured-io.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { cn20, noteOf, pallet } from '../../helpers/receiving-fixture.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import {
  publicKeyPem,
  startTerminal,
  startUpstreamFor,
  type TerminalHandle,
  terminalKeys,
  until,
} from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const STORE = 'store-r';
const TERMINAL = 'recv1';

const cli = (module: typeof deliverySend, argv: string[]) => runCaptured(module.run, argv);

describe.skipIf(!hasSystemTool('mosquitto'))(
  'delivery note sent, checked in offline, receipt upstream once after the link returns',
  () => {
    const tmp = makeTempDir('vt-sync-delivery-receipt-');
    const upDir = join(tmp.dir, 'up');
    const termDir = join(tmp.dir, 'terminal');
    const terminalKey = terminalKeys();
    let broker: MosquittoBroker;
    let proxy: TcpProxy;
    let up: ReturnType<typeof startUpstreamFor>;
    let t: TerminalHandle;
    let syncOptions: SyncOptionsInput;

    const open = () => startTerminal(termDir, syncOptions, { keys: terminalKey, receiving: true });
    const close = async (handle: TerminalHandle) => {
      await handle.sync.stop();
      handle.ledger.close();
      handle.db.close();
    };

    beforeAll(async () => {
      broker = await startMosquitto({ dir: tmp.dir });
      proxy = await startTcpProxy(broker.port);
      // The upstream's data directory as `veriterm upstream` keeps it: the command key the CLI signs with.
      const commandKey = loadOrCreateCommandKey(upDir);
      up = startUpstreamFor(upDir, { brokerUrl: broker.url }, { commandKey });
      up.upstream.store.enrol(STORE, TERMINAL, publicKeyPem(terminalKey.publicKey));
      await up.upstream.start();
      const keysFile = join(tmp.dir, 'upstream-keys.json');
      writeFileSync(
        keysFile,
        JSON.stringify({
          commandKeys: [publicKeyPem((await import('node:crypto')).createPublicKey(commandKey))],
        }),
      );
      syncOptions = {
        brokerUrl: proxy.url,
        storeId: STORE,
        terminalId: TERMINAL,
        commandKeysFile: keysFile,
        reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      };
      t = open();
      await t.sync.start();
      await until(() => t.sync.status().link === 'up' && up.upstream.connected(), 'both connected');
    }, 60_000);
    afterAll(async () => {
      if (t) await close(t);
      await up?.upstream.stop();
      up?.db.close();
      await proxy?.close();
      await broker?.stop();
      tmp.cleanup();
    });

    it('receives the note, checks it in and closes it offline, survives a restart, and the receipt arrives once', async () => {
      // Two pallets of 3 cases × 4 units, and 2 loose units: 26 units.
      const body = noteOf({
        deliveryId: 'ASN-E2E-1',
        pallets: [pallet(1, 3, 4, 1), pallet(2, 3, 4, 101)],
        units: [cn20(900), cn20(901)],
      });
      const noteFile = join(tmp.dir, 'note.json');
      writeFileSync(noteFile, JSON.stringify(body));
      const sent = await cli(deliverySend, [
        '--broker',
        broker.url,
        '--data',
        upDir,
        '--store',
        STORE,
        '--terminal',
        TERMINAL,
        '--wait',
        '60',
        noteFile,
      ]);
      expect(sent.err).toBe('');
      expect(sent.out).toMatch(/^accepted: ASN-E2E-1 to store-r\/recv1 \(note .+\), 26 units\n$/);
      expect(sent.code).toBe(0);
      expect(readNotes(t.db).map((n) => [n.deliveryId, n.units])).toEqual([['ASN-E2E-1', 26]]);

      // The store loses its link.
      proxy.cut();
      await until(() => t.sync.status().link === 'down', 'terminal offline');

      // Checked in offline: pallet 1 by its SSCC label, one loose unit; pallet 2 never came.
      const session = new ReceivingSession(
        {
          store: new ReceivingStore(t.db),
          ledger: t.ledger,
          registry: new MemoryRegistry({ products: [], batches: [], units: [] }),
        },
        'ASN-E2E-1',
      );
      const palletScan = session.scan(`(00)${body.pallets![0]!.sscc}`);
      expect(palletScan).toMatchObject({ ok: true, action: 'checked_in', target: 'pallet', checkedIn: 12 });
      expect(session.scan(cn20(900))).toMatchObject({ ok: true, target: 'unit', checkedIn: 1 });
      const receipt = session.close({ outcome: 'partial', reason: 'pallet 2 not delivered' });
      expect(receipt.type).toBe('receipt');
      const accepted = 13;
      expect(t.ledger.stats().pending).toBeGreaterThanOrEqual(1);

      // A restart while still offline: the receipt waits in the outbox on disk.
      await close(t);
      t = open();
      await t.sync.start();
      expect(t.ledger.stats().pending).toBeGreaterThanOrEqual(1);
      expect(up.upstream.store.lastSeq(STORE, TERMINAL)).toBeLessThan(receipt.seq);

      // The link returns: the receipt is sent, stored and acknowledged.
      proxy.restore();
      await until(() => t.sync.status().lastAckedSeq >= receipt.seq, 'receipt acknowledged', 60_000);
      // Acks are applied to the outbox at most every drain.ackPersistMs.
      await until(() => t.ledger.stats().pending === 0, 'outbox empty');

      const received = () =>
        (
          up.db
            .prepare(
              "SELECT count(*) AS n FROM up_unit_events WHERE status = 'received' AND store_id = ? AND terminal_id = ?",
            )
            .get(STORE, TERMINAL) as { n: number }
        ).n;
      const receipts = () =>
        (
          up.db
            .prepare("SELECT count(*) AS n FROM up_records WHERE type = 'receipt' AND store_id = ?")
            .get(STORE) as { n: number }
        ).n;
      expect(received()).toBe(accepted);
      expect(receipts()).toBe(1);

      // Once, even across a resend: another restart and a `sync_now` from the last ack change nothing.
      await close(t);
      t = open();
      await t.sync.start();
      await until(() => t.sync.status().link === 'up', 'terminal back online');
      const synced = await up.upstream.sendCommand(
        { storeId: STORE, terminalId: TERMINAL },
        'sync_now',
        {},
        { timeoutMs: 30_000 },
      );
      expect(synced.result.status).toBe('ok');
      // The very receipt record resent (as after a lost ack) is a duplicate: nothing added.
      const [again] = up.upstream.store.ingestMany([
        { storeId: STORE, terminalId: TERMINAL, records: [receipt] },
      ]);
      expect(again).toMatchObject({ duplicates: 1, unitEvents: 0, accepted: [] });
      expect(received()).toBe(accepted);
      expect(receipts()).toBe(1);

      // A `diversion` alert (a unit sold here that was never checked in, as checkout raises it
      // with receiving.mode warn) flows up like any record and is listed with the deliveries.
      const diversion = t.ledger.append('alert', {
        kind: 'diversion',
        codeKey: cn20(4242),
        reason: 'not_received',
      });
      t.sync.kick();
      await until(() => t.sync.status().lastAckedSeq >= diversion.seq, 'diversion alert acknowledged');

      // Visible upstream: the note, its outcome, its receipt and the diversion alert.
      const listing = await cli(deliveriesList, ['--data', upDir]);
      expect(listing.code).toBe(0);
      expect(listing.out).toContain(`ASN-E2E-1  ${STORE}/${TERMINAL}  26 units`);
      expect(listing.out).toContain('accepted');
      expect(listing.out).toContain(`receipt partial: ${accepted} of 26 units accepted`);
      expect(listing.out).toContain('diversion alerts: 1');
      expect(listing.out).toContain(`${STORE}/${TERMINAL} seq ${diversion.seq}  ${cn20(4242)}  not_received`);
      const json = JSON.parse((await cli(deliveriesList, ['--data', upDir, '--json'])).out) as {
        notes: { status: string; receipts: { acceptedUnits: number }[] }[];
      };
      expect(json.notes).toHaveLength(1);
      expect(json.notes[0]!.status).toBe('accepted');
      expect(json.notes[0]!.receipts.map((r) => r.acceptedUnits)).toEqual([accepted]);
    }, 180_000);

    it('the send command: exit 1 with the code on a refusal, a usage error naming the field before sending', async () => {
      await until(() => t.sync.status().link === 'up', 'terminal online');
      const send = (file: string) =>
        cli(deliverySend, [
          '--broker',
          broker.url,
          '--data',
          upDir,
          '--store',
          STORE,
          '--terminal',
          TERMINAL,
          file,
        ]);
      const emptyPallet = join(tmp.dir, 'empty-pallet.json');
      writeFileSync(
        emptyPallet,
        JSON.stringify(
          noteOf({ deliveryId: 'ASN-E2E-BAD', pallets: [{ sscc: pallet(9, 1, 1, 1).sscc, cases: [] }] }),
        ),
      );
      const refused = await send(emptyPallet);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^refused \(malformed_tree\): .+ — ASN-E2E-BAD to store-r\/recv1/);
      expect(readNotes(t.db).map((n) => n.deliveryId)).toEqual(['ASN-E2E-1']);
      const noSupplier = join(tmp.dir, 'no-supplier.json');
      writeFileSync(noSupplier, JSON.stringify({ deliveryId: 'X', expectedArrival: '2026-12-08T09:00:00Z' }));
      await expect(send(noSupplier)).rejects.toThrow(/no-supplier\.json: delivery note supplier/);
    }, 120_000);
  },
);
