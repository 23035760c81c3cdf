import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { decodePayload } from '../../../terminal/ledger/record-decoders.js';
import { type CompactBatch, parseRecordBatch } from '../../../terminal/sync/protocol.js';
import { IngestStore } from '../../../upstream/ingest-store.js';
import { recordsFromCompact } from '../../../upstream/record-verify.js';
import { foldUnitEvents } from '../../../upstream/registry-publisher.js';
import { salePayload } from '../../helpers/ledger-payloads.js';
import { cn20, noteOf, pallet, ReceivingRig, signNote, sscc } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A goods receipt reaches upstream like a sale: verified in the chain, decoded, one `received` event per unit. */
describe('receipt records upstream', () => {
  const tmp = makeTempDir('vt-receipt-ingest-');
  afterAll(() => tmp.cleanup());

  const receivedLedger = () => {
    const rig = ReceivingRig.create(tmp.dir);
    const note = noteOf({ deliveryId: 'D-7', pallets: [pallet(1, 2, 2, 0)], units: [cn20(50)] });
    expect(rig.import(signNote(note, rig.keys.privateKey)).ok).toBe(true);
    const s = rig.session('D-7');
    s.scan(`]C100${sscc(1)}`);
    s.putAside(cn20(1), 'damaged');
    s.scan(cn20(999));
    rig.ledger.transaction(() => {
      const sale = rig.ledger.append('sale', salePayload([cn20(2)]));
      rig.ledger.append('write_off', { codeKey: cn20(2), saleId: sale.id, line: 0 });
    });
    s.close({ outcome: 'partial', reason: 'loose unit missing' });
    return rig;
  };

  it('ingest stores the receipt and records a received event per accepted unit; deltas skip them', () => {
    const rig = receivedLedger();
    const pem = rig.identity.publicKeyPem;
    const up = new IngestStore(openDatabase(join(tmp.dir, 'up.db')));
    up.enrol('s1', 't1', pem);
    const records = rig.ledger.pending(0, 100);
    expect(records.map((r) => r.type)).toEqual(['sale', 'write_off', 'receipt']);
    // Through the wire format a terminal sends (columnar batch), as the drain does.
    const batch = parseRecordBatch({
      v: 2,
      batchId: 'b1',
      storeId: 's1',
      terminalId: 't1',
      firstSeq: 1,
      prevHash: records[0]!.prevHash,
      ids: records.map((r) => r.id),
      types: records.map((r) => r.type),
      ats: records.map((r) => r.at),
      payloads: records.map((r) => r.payload),
      sigs: records.map((r) => r.signature),
    });
    expect(batch.ok).toBe(true);
    const { records: wire, payloads } = recordsFromCompact((batch as { batch: CompactBatch }).batch);
    expect(up.ingest('s1', 't1', wire, payloads)).toMatchObject({ ackSeq: 3, unitEvents: 4 });
    const events = up.unpublishedUnitEvents().map((e) => [e.key, e.status]);
    expect(events).toEqual([
      [cn20(2), 'sold'],
      [cn20(0), 'received'],
      [cn20(2), 'received'],
      [cn20(3), 'received'],
    ]);
    expect(up.alerts()).toEqual([]);
    // Received after being sold here: the registry still says sold (a receipt changes no registry state).
    expect(foldUnitEvents(up.unpublishedUnitEvents())).toEqual([
      expect.objectContaining({ key: cn20(2), status: 'sold' }),
    ]);
    rig.close();
  });

  it('the shared decoder refuses a malformed receipt with the field named', () => {
    const base = {
      deliveryId: 'D',
      supplierId: 'S',
      outcome: 'complete',
      expectedUnits: 1,
      containers: [],
      units: { '6900001': ['0000000010000'] },
      missing: { containers: [], units: {} },
      exceptions: [],
    };
    expect(decodePayload('receipt', base)).toMatchObject({ ok: true });
    expect(decodePayload('receipt', { ...base, outcome: 'partial' })).toMatchObject({
      ok: false,
      path: 'reason',
    });
    expect(decodePayload('receipt', { ...base, exceptions: [{ key: 'K', reason: 'lost' }] })).toMatchObject({
      ok: false,
      path: 'exceptions[0].reason',
    });
    expect(decodePayload('receipt', { ...base, units: { '6900001': [5] } })).toMatchObject({
      ok: false,
      path: 'units.6900001[0]',
    });
  });
});
