import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTE_REFUSAL_CODES, type NoteRefusalCode } from '../../../terminal/receiving/import-note.js';
import { readSscc } from '../../../terminal/receiving/sscc.js';
import {
  cn20,
  NOW,
  noteOf,
  pallet,
  ReceivingRig,
  signNote,
  sscc,
  upstreamKeys,
} from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let tmp: ReturnType<typeof makeTempDir>;
let rig: ReceivingRig;
beforeEach(() => {
  tmp = makeTempDir('vt-receiving-import-');
  rig = ReceivingRig.create(tmp.dir);
});
afterEach(() => {
  rig.close();
  tmp.cleanup();
});

const good = (deliveryId = 'D-1') =>
  noteOf({ deliveryId, pallets: [pallet(1, 2, 3, 0)], cases: [], units: [cn20(900)] });

describe('delivery note import', () => {
  it('stores a signed note: containers, units, loose units; the same note again changes nothing', () => {
    const result = rig.import(signNote(good(), rig.keys.privateKey));
    expect(result).toMatchObject({ ok: true, status: 'imported', deliveryId: 'D-1', units: 7 });
    const after = rig.footprint();
    expect(after).toMatchObject({ receiving_notes: 1, receiving_containers: 4, receiving_units: 7 });
    // Same content, new message id: harmless and nothing kept (not even its nonce).
    expect(rig.import(signNote(good(), rig.keys.privateKey))).toMatchObject({
      ok: true,
      status: 'already_imported',
    });
    expect(rig.footprint()).toEqual(after);
  });

  /** Each refusal: its named code, and every table exactly as before. */
  const cases: [NoteRefusalCode, () => unknown][] = [
    ['malformed', () => ({ ...signNote(good(), rig.keys.privateKey), target: 'nope' })],
    [
      'unsigned',
      () => {
        const { sig: _sig, ...rest } = signNote(good(), rig.keys.privateKey);
        return rest;
      },
    ],
    ['unsupported_version', () => ({ ...signNote(good(), rig.keys.privateKey), v: 2 })],
    ['bad_signature', () => signNote(good(), upstreamKeys().privateKey)],
    [
      'bad_signature',
      () => {
        const signed = signNote(good(), rig.keys.privateKey) as { note: { units: string[] } };
        signed.note.units.push(cn20(901)); // altered after signing
        return signed;
      },
    ],
    ['wrong_store', () => signNote(good(), rig.keys.privateKey, { target: { storeId: 's2' } })],
    [
      'expired',
      () => signNote(good(), rig.keys.privateKey, { expiresAt: new Date(NOW - 3_600_000).toISOString() }),
    ],
    [
      'not_yet_valid',
      () => signNote(good(), rig.keys.privateKey, { issuedAt: new Date(NOW + 3_600_000).toISOString() }),
    ],
    [
      'malformed_tree',
      () => signNote(noteOf({ deliveryId: 'D-2', pallets: [{ sscc: sscc(5) }] }), rig.keys.privateKey),
    ],
    ['malformed_tree', () => signNote(noteOf({ deliveryId: 'D-2' }), rig.keys.privateKey)],
    [
      'malformed_tree',
      () =>
        signNote(
          noteOf({
            deliveryId: 'D-2',
            cases: [{ sscc: sscc(5), code: '(01)09506000134352(21)C1', units: [cn20(1)] }],
          }),
          rig.keys.privateKey,
        ),
    ],
    [
      'bad_container_code',
      () =>
        signNote(
          noteOf({ deliveryId: 'D-2', pallets: [{ sscc: '006141410000000019', units: [cn20(1)] }] }),
          rig.keys.privateKey,
        ),
    ],
    ['bad_unit_code', () => signNote(noteOf({ deliveryId: 'D-2', units: ['hello'] }), rig.keys.privateKey)],
    [
      'bad_unit_code',
      () => signNote(noteOf({ deliveryId: 'D-2', units: ['4006381333931'] }), rig.keys.privateKey),
    ],
    [
      'unit_in_two_places',
      () =>
        signNote(
          noteOf({
            deliveryId: 'D-2',
            cases: [
              { sscc: sscc(10), units: [cn20(1), cn20(2)] },
              { sscc: sscc(11), units: [cn20(3), cn20(2)] },
            ],
          }),
          rig.keys.privateKey,
        ),
    ],
    [
      // The same unit in two code forms is still one unit (keys normalised by the code reader).
      'unit_in_two_places',
      () =>
        signNote(
          noteOf({
            deliveryId: 'D-2',
            units: ['(01)09506000134352(21)AB1', 'https://id.example.com/01/09506000134352/21/AB1'],
          }),
          rig.keys.privateKey,
        ),
    ],
    [
      'container_in_two_places',
      () =>
        signNote(
          noteOf({ deliveryId: 'D-2', pallets: [pallet(1, 1, 2, 0), { sscc: sscc(1), units: [cn20(50)] }] }),
          rig.keys.privateKey,
        ),
    ],
    [
      'container_in_two_places',
      () =>
        signNote(
          noteOf({
            deliveryId: 'D-2',
            pallets: [pallet(1, 1, 2, 0)],
            cases: [{ sscc: sscc(1001), units: [cn20(60)] }],
          }),
          rig.keys.privateKey,
        ),
    ],
  ];

  it.each(cases)('refuses %s and leaves nothing behind', (code, make) => {
    // A stored note first, so "nothing behind" also covers a database that is not empty.
    expect(
      rig.import(signNote(noteOf({ deliveryId: 'D-0', units: [cn20(999)] }), rig.keys.privateKey)).ok,
    ).toBe(true);
    const before = rig.footprint();
    const result = rig.import(make());
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok === false && result.message.length).toBeGreaterThan(5);
    expect(rig.footprint()).toEqual(before);
  });

  it('refuses a replayed message, a delivery id with different contents, a unit already on another note', () => {
    const signed = signNote(good(), rig.keys.privateKey);
    expect(rig.import(signed).ok).toBe(true);
    const before = rig.footprint();
    expect(rig.import(signed)).toMatchObject({ ok: false, code: 'replayed' });
    const changed = good();
    (changed.units as string[]).push(cn20(901));
    expect(rig.import(signNote(changed, rig.keys.privateKey))).toMatchObject({
      ok: false,
      code: 'delivery_conflict',
    });
    const other = noteOf({ deliveryId: 'D-9', units: [cn20(5000), cn20(900)] });
    expect(rig.import(signNote(other, rig.keys.privateKey))).toMatchObject({
      ok: false,
      code: 'unit_on_other_note',
      message: expect.stringContaining(cn20(900)),
    });
    const otherPallet = noteOf({ deliveryId: 'D-9', pallets: [{ sscc: sscc(1), units: [cn20(7000)] }] });
    expect(rig.import(signNote(otherPallet, rig.keys.privateKey))).toMatchObject({
      ok: false,
      code: 'unit_on_other_note',
    });
    expect(rig.footprint()).toEqual(before);
  });

  it('content is what the note says, not how its codes are written: another code form is the same note', () => {
    const element = noteOf({ deliveryId: 'D-5', units: ['(01)09506000134352(21)AB1'] });
    const link = noteOf({ deliveryId: 'D-5', units: ['https://id.example.com/01/09506000134352/21/AB1'] });
    const other = noteOf({ deliveryId: 'D-5', units: ['(01)09506000134352(21)AB2'] });
    expect(rig.import(signNote(element, rig.keys.privateKey))).toMatchObject({ status: 'imported' });
    expect(rig.import(signNote(link, rig.keys.privateKey))).toMatchObject({ status: 'already_imported' });
    expect(rig.import(signNote(other, rig.keys.privateKey))).toMatchObject({ code: 'delivery_conflict' });
  });

  it('names every refusal code it can give (the list the docs show)', () => {
    expect(new Set(cases.map(([c]) => c))).toEqual(
      new Set(
        NOTE_REFUSAL_CODES.filter(
          (c) => !['replayed', 'delivery_conflict', 'unit_on_other_note', 'too_large'].includes(c),
        ),
      ),
    );
  });
});

describe('SSCC labels', () => {
  it('reads GS1-128, bracketed and bare forms; refuses a wrong check digit and plain Code 128', () => {
    const s = sscc(42);
    expect(readSscc(`]C100${s}`)).toBe(`00${s}`);
    expect(readSscc(`(00)${s}`)).toBe(`00${s}`);
    expect(readSscc(`00${s}`)).toBe(`00${s}`);
    expect(readSscc(`]C100${s.slice(0, 17)}${(Number(s[17]) + 1) % 10}`)).toBeUndefined();
    expect(readSscc(`]C000${s}`)).toBeUndefined();
    expect(readSscc(cn20(1))).toBeUndefined();
  });
});
