/**
 * Delivery notes over MQTT (issue 18): the reference upstream signs and sends a note to a store's
 * receiving terminal on a spawned mosquitto; the terminal checks and stores it and reports the
 * outcome upstream. Every bad note is refused with its named code, reported, and leaves nothing
 * behind; a flood of downlink notes is bounded; a 100,000-unit note still gets through.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryNoteInput, UnsignedDeliveryNote } from '../../../terminal/receiving/note-format.js';
import { readNotes } from '../../../terminal/receiving/receiving-store.js';
import { signCommand } from '../../../terminal/sync/command-signing.js';
import type { DeliveryOutcome } from '../../../terminal/sync/protocol.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { cn20, noteOf, pallet, sscc } from '../../helpers/receiving-fixture.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startTerminal, startUpstreamFor, type TerminalHandle, until } from './harness.js';

const STORE = 'store-a';
const TOPIC = `vt/${STORE}/t1/deliveries`;
const BURST = 40;

describe.skipIf(!hasSystemTool('mosquitto'))('delivery notes over MQTT', () => {
  const tmp = makeTempDir('vt-sync-deliveries-');
  const commandKey = generateKeyPairSync('ed25519');
  let broker: MosquittoBroker;
  let t: TerminalHandle;
  let up: ReturnType<typeof startUpstreamFor>;
  let watcher: mqtt.MqttClient;
  /** Outcome reports as they went over the wire (vt/store-a/t1/deliveries/result). */
  const onWire: DeliveryOutcome[] = [];
  /** Outcomes as the terminal decided them (its `delivery` event). */
  const decided: DeliveryOutcome[] = [];
  let serial = 0;

  beforeAll(async () => {
    const keysFile = join(tmp.dir, 'upstream-keys.json');
    writeFileSync(keysFile, JSON.stringify({ commandKeys: [publicKeyPem(commandKey.publicKey)] }));
    broker = await startMosquitto({ dir: tmp.dir });
    up = startUpstreamFor(
      join(tmp.dir, 'up'),
      { brokerUrl: broker.url },
      { commandKey: commandKey.privateKey },
    );
    await up.upstream.start();
    t = startTerminal(
      join(tmp.dir, 't1'),
      {
        brokerUrl: broker.url,
        storeId: STORE,
        terminalId: 't1',
        commandKeysFile: keysFile,
        // Small enough to flood in a test; a 100,000-unit note (~2.4 MB) must still fit. The burst
        // covers the notes the tests before the flood send (about 15), so none of theirs meets an
        // empty budget however fast the machine runs them.
        deliveries: {
          burst: BURST,
          perMinute: 120,
          maxNoteBytes: 4 * 1024 * 1024,
          bytesPerMinute: 64 * 1024 * 1024,
        },
      },
      { receiving: true },
    );
    t.sync.events.on('delivery', (o) => decided.push(o));
    await t.sync.start();
    watcher = await mqtt.connectAsync(broker.url, { clientId: `watcher-${process.pid}` });
    watcher.on('message', (_topic, payload) =>
      onWire.push(JSON.parse(payload.toString()) as DeliveryOutcome),
    );
    await watcher.subscribeAsync(`${TOPIC}/result`, { qos: 1 });
    await until(() => t.sync.status().link === 'up' && up.upstream.connected(), 'both connected');
  }, 60_000);
  afterAll(async () => {
    await watcher?.endAsync();
    await t?.sync.stop();
    await up?.upstream.stop();
    await broker?.stop();
    t?.ledger.close();
    t?.db.close();
    up?.db.close();
    tmp.cleanup();
  });

  /** Rows of every receiving table and the nonce table: "nothing left behind" compares these. */
  const footprint = () =>
    Object.fromEntries(
      [
        'receiving_notes',
        'receiving_products',
        'receiving_containers',
        'receiving_units',
        'receiving_unit_lists',
        'receiving_exceptions',
        'sync_command_nonces',
      ].map((table) => [
        table,
        (t.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
      ]),
    );

  const signed = (
    note: DeliveryNoteInput,
    overrides: Partial<UnsignedDeliveryNote> = {},
    key = commandKey.privateKey,
  ) =>
    signCommand(
      {
        v: 1,
        kind: 'delivery_note',
        id: `raw-note-${process.pid}-${++serial}`,
        target: { storeId: STORE },
        issuedAt: new Date(Date.now() - 60_000).toISOString(),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        note,
        ...overrides,
      } satisfies UnsignedDeliveryNote,
      key,
    );

  /** Publishes a document on the terminal's deliveries topic; resolves with its reported outcome. */
  async function publishNote(doc: { id: string }): Promise<DeliveryOutcome> {
    const seen = onWire.length;
    await up.upstream.publishRaw(TOPIC, JSON.stringify(doc));
    return until(() => onWire.slice(seen).find((o) => o.id === doc.id), `outcome of ${doc.id}`, 30_000);
  }

  it('a note sent by the reference upstream is accepted, reported, logged; the same delivery again is already_imported', async () => {
    const body = noteOf({ deliveryId: 'ASN-1', pallets: [pallet(1, 2, 3, 1)], units: [cn20(900)] });
    const outcome = await up.upstream.deliveries.send({ storeId: STORE, terminalId: 't1' }, body, {
      timeoutMs: 30_000,
    });
    expect(outcome).toMatchObject({ status: 'accepted', deliveryId: 'ASN-1', units: 7 });
    expect(readNotes(t.db).map((n) => [n.deliveryId, n.units, n.state])).toEqual([['ASN-1', 7, 'open']]);
    expect(await up.upstream.deliveries.log.note(outcome.id)).toMatchObject({
      status: 'accepted',
      deliveryId: 'ASN-1',
      units: 7,
      storeId: STORE,
      terminalId: 't1',
    });
    const before = footprint();
    const again = await up.upstream.deliveries.send({ storeId: STORE, terminalId: 't1' }, body, {
      timeoutMs: 30_000,
    });
    expect(again).toMatchObject({ status: 'already_imported', deliveryId: 'ASN-1', units: 7 });
    // Nothing kept of the second message, not even its nonce (the transaction rolled back).
    expect(footprint()).toEqual(before);
  });

  it('refuses every bad note with its named code, reports it, and leaves nothing behind', async () => {
    const rogue = generateKeyPairSync('ed25519');
    const fresh = (id: string, extra: Partial<DeliveryNoteInput> = {}) =>
      noteOf({ deliveryId: id, units: [cn20(5000 + serial)], ...extra });
    const replayMe = signed(fresh('ASN-REPLAY'));
    expect((await publishNote(replayMe)).status).toBe('accepted');
    const cases: [string, { id: string; [field: string]: unknown }][] = [
      ['bad_signature', signed(fresh('ASN-FORGED'), {}, rogue.privateKey)],
      [
        'bad_signature',
        // Altered after signing: the unit list changed under a valid signature.
        { ...signed(fresh('ASN-ALTERED')), note: fresh('ASN-ALTERED', { units: [cn20(777_777)] }) },
      ],
      [
        'expired',
        signed(fresh('ASN-OLD'), {
          issuedAt: new Date(Date.now() - 7_200_000).toISOString(),
          expiresAt: new Date(Date.now() - 3_600_000).toISOString(),
        }),
      ],
      ['replayed', replayMe],
      ['wrong_store', signed(fresh('ASN-ELSEWHERE'), { target: { storeId: 'store-b' } })],
      ['malformed_tree', signed(fresh('ASN-EMPTY-PALLET', { pallets: [{ sscc: sscc(77), cases: [] }] }))],
      [
        'unit_in_two_places',
        signed(
          noteOf({
            deliveryId: 'ASN-TWICE',
            cases: [
              { sscc: sscc(81), units: [cn20(8100), cn20(8101)] },
              { sscc: sscc(82), units: [cn20(8101)] },
            ],
          }),
        ),
      ],
      ['malformed', { id: 'raw-note-malformed-1', v: 1, kind: 'delivery_note', sig: 'x' }],
    ];
    for (const [code, doc] of cases) {
      const before = footprint();
      const outcome = await publishNote(doc);
      expect(outcome, code).toMatchObject({ status: 'refused', code, id: doc.id });
      expect(footprint(), `${code} left something behind`).toEqual(before);
    }
    expect(readNotes(t.db).map((n) => n.deliveryId)).toEqual(['ASN-1', 'ASN-REPLAY']);
  });

  it('the send command path: a body the terminal refuses comes back as a refusal the sender sees and logs', async () => {
    const body = noteOf({
      deliveryId: 'ASN-TWICE-2',
      cases: [
        { sscc: sscc(91), units: [cn20(9100)] },
        { sscc: sscc(92), units: [cn20(9100)] },
      ],
    });
    const outcome = await up.upstream.deliveries.send({ storeId: STORE, terminalId: 't1' }, body, {
      timeoutMs: 30_000,
    });
    expect(outcome).toMatchObject({
      status: 'refused',
      code: 'unit_in_two_places',
      deliveryId: 'ASN-TWICE-2',
    });
    expect(await up.upstream.deliveries.log.note(outcome.id)).toMatchObject({
      status: 'refused',
      code: 'unit_in_two_places',
    });
    // A body that is not the format is named before anything is signed or sent.
    await expect(
      up.upstream.deliveries.send(
        { storeId: STORE, terminalId: 't1' },
        { deliveryId: 'X' },
        { timeoutMs: 1000 },
      ),
    ).rejects.toThrow(/delivery note supplier/);
  });

  it('a 100,000-unit note is accepted over the broker', async () => {
    const units = Array.from({ length: 100_000 }, (_, i) => cn20(1_000_000 + i, 3));
    const body = noteOf({
      deliveryId: 'ASN-BIG',
      cases: Array.from({ length: 100 }, (_, c) => ({
        sscc: sscc(500_000 + c),
        units: units.slice(c * 1000, (c + 1) * 1000),
      })),
    });
    const outcome = await up.upstream.deliveries.send({ storeId: STORE, terminalId: 't1' }, body, {
      timeoutMs: 120_000,
    });
    expect(outcome).toMatchObject({ status: 'accepted', deliveryId: 'ASN-BIG', units: 100_000 });
    expect(
      (t.db.prepare('SELECT count(*) AS n FROM receiving_units').get() as { n: number }).n,
    ).toBeGreaterThanOrEqual(100_000);
  }, 180_000);

  it('a note over maxNoteBytes is refused unparsed; one over the advertised packet size is dropped by the broker', async () => {
    const before = footprint();
    const oversized = () =>
      t
        .logLines()
        .filter((l) => l.code === 'oversized' && String(l.msg).startsWith('downlink message refused'));
    const seen = oversized().length;
    const linkDowns = () => t.logLines().filter((l) => l.msg === 'upstream link down').length;
    const downs = linkDowns();
    // Over maxNoteBytes (4 MiB) but within the MQTT 5 Maximum Packet Size (+64 KiB): the terminal refuses it.
    await up.upstream.publishRaw(TOPIC, Buffer.alloc(4 * 1024 * 1024 + 10 * 1024, 0x7b));
    await until(() => oversized().length === seen + 1, 'oversized note refused');
    // Over the packet size: mosquitto never sends it. A note after it arrives; no second refusal.
    await up.upstream.publishRaw(TOPIC, Buffer.alloc(5 * 1024 * 1024, 0x7b));
    const marker = signed(noteOf({ deliveryId: 'AFTER-BIG', units: [cn20(31_000)] }));
    expect((await publishNote(marker)).status).toBe('accepted');
    expect(oversized().length).toBe(seen + 1);
    // Dropped by the broker, not met by mqtt.js (which would close the connection on it).
    expect(linkDowns()).toBe(downs);
    expect(footprint().receiving_notes).toBe(before.receiving_notes! + 1);
  });

  it('a flood of notes is bounded: within the budget only, one warning, nothing stored; later notes get through', async () => {
    const before = footprint();
    const decidedBefore = decided.length;
    const warnings = () =>
      t.logLines().filter((l) => String(l.msg).startsWith('delivery notes over their budget')).length;
    const warningsBefore = warnings();
    const started = Date.now();
    const junk = Array.from({ length: 1500 }, (_, i) =>
      signed(
        noteOf({ deliveryId: `FLOOD-${i}`, units: [cn20(20_000 + i)] }),
        {},
        generateKeyPairSync('ed25519').privateKey,
      ),
    );
    // Oversized and non-JSON messages spend the same budget.
    await Promise.all([
      ...junk.map((doc) => up.upstream.publishRaw(TOPIC, JSON.stringify(doc))),
      up.upstream.publishRaw(TOPIC, Buffer.alloc(5 * 1024 * 1024, 0x20)),
      up.upstream.publishRaw(TOPIC, 'not json'),
    ]);
    // A marker after the flood: the terminal has read everything before it once it is decided.
    const marker = signed(noteOf({ deliveryId: 'AFTER-FLOOD', units: [cn20(30_000)] }));
    // Sent again each second until read: a copy that meets an empty budget is dropped unread.
    let lastSent = 0;
    const markerOutcome = await until(
      async () => {
        const seen = decided.find((o) => o.id === marker.id);
        if (!seen && Date.now() - lastSent >= 1000) {
          lastSent = Date.now();
          await up.upstream.publishRaw(TOPIC, JSON.stringify(marker));
        }
        return seen;
      },
      'a note after the flood is read again',
      120_000,
    );
    const elapsedMinutes = (Date.now() - started) / 60_000;
    const looked = decided.length - decidedBefore;
    // At most the burst plus the refill over the elapsed time (and the marker) were looked at.
    expect(looked).toBeLessThanOrEqual(BURST + Math.ceil(elapsedMinutes * 120) + 2);
    expect(looked).toBeLessThan(200);
    expect(markerOutcome.status).toBe('accepted');
    expect(warnings() - warningsBefore).toBeGreaterThanOrEqual(1);
    // One warning per run of drops, not one per message.
    expect(warnings() - warningsBefore).toBeLessThan(10);
    const after = footprint();
    // Only the marker's note and nonce (and its unit and loose container) were added.
    expect(after.receiving_notes).toBe(before.receiving_notes! + 1);
    expect(after.sync_command_nonces).toBe(before.sync_command_nonces! + 1);
    expect(after.receiving_units).toBe(before.receiving_units! + 1);
  }, 240_000);
});
