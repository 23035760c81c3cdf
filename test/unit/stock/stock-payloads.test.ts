import { describe, expect, it } from 'vitest';
import { decodePayload } from '../../../terminal/ledger/record-decoders.js';

/** The shared decoders (terminal and upstream) of the three stock record types. */
const rests = { '6900001': ['0000000010000', '0000000020000'] };
const stockOut = {
  shipmentId: '01JEX0000000000000000000AA',
  kind: 'transfer',
  reason: 'rebalance',
  approvedBy: 'm1',
  toStoreId: 's2',
  containers: [],
  units: rests,
};
const stocktake = {
  stocktakeId: 'T1',
  scope: 'all',
  startedAt: '2026-12-07T10:00:00Z',
  expected: 2,
  found: 1,
  missing: { '6900001': ['0000000010000'] },
  extra: { notReceived: {}, sold: {}, leftStock: {} },
  bad: [{ key: '69000010000000020000', reason: 'recalled' }],
};
const adjustment = { stocktakeId: 'T1', approvedBy: 'm1', reason: 'count', out: rests, in: {} };

describe('stock record decoders', () => {
  it('decode valid payloads unchanged, with one unit change per unit', () => {
    expect(decodePayload('stock_out', stockOut)).toMatchObject({
      ok: true,
      payload: stockOut,
      unitChanges: [
        { key: '69000010000000010000', status: 'transferred' },
        { key: '69000010000000020000', status: 'transferred' },
      ],
      refs: { codeKeys: ['69000010000000010000', '69000010000000020000'] },
    });
    expect(
      decodePayload('stock_out', { ...stockOut, kind: 'destruction', toStoreId: undefined }),
    ).toMatchObject({
      unitChanges: [{ status: 'destroyed' }, { status: 'destroyed' }],
    });
    expect(decodePayload('stocktake', stocktake)).toMatchObject({ ok: true, unitChanges: [] });
    expect(
      decodePayload('stock_adjustment', { ...adjustment, in: { '6900002': ['0000000030000'] } }),
    ).toMatchObject({
      ok: true,
      unitChanges: [
        { key: '69000010000000010000', status: 'lost' },
        { key: '69000010000000020000', status: 'lost' },
        { key: '69000020000000030000', status: 'found' },
      ],
    });
  });

  it.each([
    ['stock_out', { ...stockOut, toStoreId: undefined }, 'toStoreId', /names the receiving store/],
    [
      'stock_out',
      { ...stockOut, kind: 'return_to_supplier', toStoreId: undefined },
      'supplierId',
      /names the supplier/,
    ],
    ['stock_out', { ...stockOut, reason: 'other' }, 'note', /needs a note/],
    ['stock_out', { ...stockOut, kind: 'burn' }, 'kind', /./],
    ['stock_out', { ...stockOut, units: {} }, 'units', /at least one unit/],
    [
      'stock_out',
      { ...stockOut, units: { '6900001': ['0000000010000', '0000000010000'] } },
      'units',
      /listed twice/,
    ],
    ['stocktake', { ...stocktake, bad: [{ key: 'k', reason: 'sold' }] }, 'bad[0].reason', /./],
    ['stocktake', { ...stocktake, scope: [] }, 'scope', /./],
    [
      'stocktake',
      { ...stocktake, extra: { notReceived: { '6900001': ['0000000010000'] }, sold: {}, leftStock: {} } },
      'extra.notReceived',
      /listed twice/,
    ],
    ['stock_adjustment', { ...adjustment, out: {} }, 'out', /at least one unit/],
    ['stock_adjustment', { ...adjustment, in: rests }, 'in', /listed twice/],
    ['stock_adjustment', { ...adjustment, reason: '' }, 'reason', /./],
  ])('%s refuses a bad payload naming %s', (type, payload, path, message) => {
    const decoded = decodePayload(type, payload);
    expect(decoded).toMatchObject({ ok: false, code: 'payload_invalid', path });
    expect(decoded.ok === false && decoded.message).toMatch(message);
  });
});
