import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import {
  decodePayload,
  Ledger,
  payloadOf,
  RECORD_DECODERS,
  recordCsvLine,
} from '../../../terminal/ledger/index.js';
import type {
  AlertPayload,
  ReceiptPayload,
  ReceiptPrintedPayload,
  ReturnPayload,
  SalePayload,
  WriteOffPayload,
} from '../../../terminal/ledger/payloads.js';
import { RECORD_TYPES } from '../../../terminal/ledger/types.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Payloads as the terminal's own writers build them (checkout, returns, kiosk reports). */
const sale: SalePayload = {
  cashier: 'c1',
  externalRef: 'pos-1',
  lines: [
    {
      codeKey: '69012340000000012345',
      codeTail: '2345',
      productKey: '6901234',
      productName: { 'zh-CN': '感冒灵颗粒', en: 'Cold relief granules' },
      reason: 'active',
      verdict: 'genuine',
    },
    // A product-only line (an EAN scan): codeKey is the product key, and there is no write-off.
    {
      codeKey: '06901234567892',
      codeTail: '567892',
      productKey: '06901234567892',
      productOnly: true,
      reason: 'no_serial',
      verdict: 'unverifiable',
      override: { by: 'm1', reason: 'loose pack' },
    },
    {
      codeKey: '010950600013435221SN1',
      codeTail: 'SN1',
      override: { by: 'm1', reason: 'registry offline' },
      reason: 'registry_stale',
      verdict: 'unverifiable',
    },
  ],
};
const writeOff: WriteOffPayload = { codeKey: '69012340000000012345', line: 0, saleId: '01SALE' };
const ret: ReturnPayload = {
  approvedBy: 'm1',
  externalRef: 'ret-1',
  reason: 'customer changed mind',
  lines: [
    { codeKey: 'A1', saleId: '01SALE', writeOffId: '01WO1', writeOffSeq: 2 },
    { codeKey: 'A2', saleId: '01SALE', writeOffId: '01WO2', writeOffSeq: 3 },
    { codeKey: 'A3', saleId: '01OTHER', writeOffId: '01WO3', writeOffSeq: 9 },
  ],
};
const clone: AlertPayload = {
  kind: 'clone',
  codeKey: 'A1',
  verdict: 'already_sold',
  previous: { where: 'upstream', storeId: '', at: '' },
  attempt: { cashier: 'c1', at: '2026-03-02T10:00:00.000Z', storeId: 's1', terminalId: 't1' },
};
/** A code whose batch/expiry disagree with its registered unit (checkout's `code_mismatch`). */
const mismatch: AlertPayload = {
  kind: 'code_mismatch',
  codeKey: '010950600013435221SN1',
  verdict: 'unknown',
  reason: 'batch_mismatch',
  mismatch: { batch: { scanned: 'L9', registered: 'L2506' } },
  attempt: { at: '2026-03-02T10:00:00.000Z', storeId: 's1', terminalId: 't1' },
};
/** kiosk-reports.ts: a shopper's report carries its own fields beside the typed ones. */
const report = {
  kind: 'suspicious_report',
  key: null,
  verdict: 'unknown',
  reason: 'not_in_registry',
  checkedAt: '2026-03-02T10:00:00.000Z',
  checkId: 7,
  source: 'kiosk',
  note: 'torn seal',
  reportedAt: '2026-03-02T10:01:00.000Z',
};
const printed: ReceiptPrintedPayload = { saleId: '01SALE', jobId: 'job-1' };
/** terminal/receiving closing a delivery: accepted units grouped by product key. */
const goodsReceipt: ReceiptPayload = {
  deliveryId: 'ASN-1',
  supplierId: 'SUP-1',
  outcome: 'partial',
  reason: 'one case short',
  expectedUnits: 4,
  containers: ['00006141410000010015'],
  units: { '6901234': ['0000000012345', '0000000012346'], '0109506000134352': ['21SN1'] },
  missing: { containers: ['00006141410000010022'], units: {} },
  exceptions: [{ key: '010950600013435221SN9', reason: 'foreign', putAside: true }],
};

/** JSON as stored and sent: what every reader actually decodes. */
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('record decoders', () => {
  it('has one decoder for every record type and nothing else', () => {
    expect(Object.keys(RECORD_DECODERS).sort()).toEqual([...RECORD_TYPES].sort());
  });

  it.each([
    ['sale', sale, [], { codeKeys: [], saleIds: [] }],
    [
      'write_off',
      writeOff,
      [{ key: writeOff.codeKey, status: 'sold' }],
      { codeKeys: [writeOff.codeKey], saleIds: ['01SALE'] },
    ],
    [
      'return',
      ret,
      [
        { key: 'A1', status: 'active' },
        { key: 'A2', status: 'active' },
        { key: 'A3', status: 'active' },
      ],
      { codeKeys: ['A1', 'A2', 'A3'], saleIds: ['01SALE', '01OTHER'] },
    ],
    ['alert', clone, [], { codeKeys: ['A1'], saleIds: [] }],
    ['alert', report, [], { codeKeys: [], saleIds: [] }],
    ['alert', mismatch, [], { codeKeys: [mismatch.codeKey], saleIds: [] }],
    ['receipt_printed', printed, [], { codeKeys: [], saleIds: ['01SALE'] }],
    [
      'receipt',
      goodsReceipt,
      [
        { key: '69012340000000012345', status: 'received' },
        { key: '69012340000000012346', status: 'received' },
        { key: '010950600013435221SN1', status: 'received' },
      ],
      { codeKeys: ['69012340000000012345', '69012340000000012346', '010950600013435221SN1'], saleIds: [] },
    ],
  ] as const)(
    'decodes a %s payload as written, unchanged, with its unit changes',
    (type, payload, changes, refs) => {
      const decoded = decodePayload(type, stored(payload));
      expect(decoded).toEqual({ ok: true, type, payload: stored(payload), unitChanges: changes, refs });
    },
  );

  it('keeps fields a payload type does not name (a newer terminal may add some)', () => {
    const decoded = decodePayload('write_off', { ...writeOff, lane: 3, extra: { a: [1] } });
    expect(decoded.ok && decoded.payload).toEqual({ ...writeOff, lane: 3, extra: { a: [1] } });
  });

  const long = 'x'.repeat(513);
  const line0 = sale.lines[0]!;
  const malformed: [string, unknown, string][] = [
    ['sale', null, '(payload)'],
    ['sale', [], '(payload)'],
    ['sale', 'sale', '(payload)'],
    ['sale', {}, 'lines'],
    ['sale', { lines: [] }, 'lines'],
    ['sale', { lines: 'A1' }, 'lines'],
    ['sale', { ...sale, externalRef: '' }, 'externalRef'],
    ['sale', { ...sale, cashier: 7 }, 'cashier'],
    ['sale', { lines: [line0, { ...line0, codeKey: undefined }] }, 'lines[1].codeKey'],
    ['sale', { lines: [{ ...line0, codeKey: 42 }] }, 'lines[0].codeKey'],
    ['sale', { lines: [{ ...line0, codeKey: long }] }, 'lines[0].codeKey'],
    ['sale', { lines: [{ ...line0, codeTail: undefined }] }, 'lines[0].codeTail'],
    ['sale', { lines: [{ ...line0, verdict: 'fine' }] }, 'lines[0].verdict'],
    ['sale', { lines: [{ ...line0, reason: '' }] }, 'lines[0].reason'],
    ['sale', { lines: [{ ...line0, productName: { en: 'x' } }] }, 'lines[0].productName.zh-CN'],
    ['sale', { lines: [{ ...line0, override: { by: 'm1' } }] }, 'lines[0].override.reason'],
    ['sale', { lines: [{ ...line0, productOnly: false }] }, 'lines[0].productOnly'],
    ['write_off', {}, 'codeKey'],
    ['write_off', { ...writeOff, codeKey: '' }, 'codeKey'],
    ['write_off', { ...writeOff, saleId: undefined }, 'saleId'],
    ['write_off', { ...writeOff, line: -1 }, 'line'],
    ['write_off', { ...writeOff, line: 1.5 }, 'line'],
    ['write_off', { ...writeOff, line: '0' }, 'line'],
    // The field names upstream used to guess at are not a write-off's.
    ['write_off', { key: 'A1', saleId: 's', line: 0 }, 'codeKey'],
    ['return', { ...ret, approvedBy: undefined }, 'approvedBy'],
    ['return', { ...ret, approvedBy: '' }, 'approvedBy'],
    ['return', { ...ret, lines: [] }, 'lines'],
    ['return', { ...ret, codeKey: 'A1', lines: undefined }, 'lines'],
    [
      'return',
      { ...ret, lines: [ret.lines[0], { ...ret.lines[1], writeOffSeq: 0 }] },
      'lines[1].writeOffSeq',
    ],
    ['return', { ...ret, lines: [{ ...ret.lines[0], writeOffId: undefined }] }, 'lines[0].writeOffId'],
    ['return', { ...ret, lines: [{ ...ret.lines[0], saleId: 5 }] }, 'lines[0].saleId'],
    [
      'return',
      { ...ret, lines: [ret.lines[0], ret.lines[1], { ...ret.lines[2], codeKey: 'A1' }] },
      'lines[2].codeKey',
    ],
    ['alert', {}, 'kind'],
    ['alert', { kind: 'fire' }, 'kind'],
    ['alert', { ...clone, verdict: 'suspicious' }, 'verdict'],
    ['alert', { ...clone, codeKey: '' }, 'codeKey'],
    ['alert', { ...mismatch, reason: '' }, 'reason'],
    ['alert', { ...mismatch, mismatch: { batch: { scanned: 'L9' } } }, 'mismatch.batch.registered'],
    ['alert', { ...clone, previous: { ...clone.previous, where: 'there' } }, 'previous.where'],
    ['alert', { ...clone, attempt: { ...clone.attempt, storeId: undefined } }, 'attempt.storeId'],
    ['receipt_printed', {}, 'saleId'],
    ['receipt_printed', { i: 3 }, 'saleId'],
    ['receipt_printed', { saleId: 's', jobId: 5 }, 'jobId'],
    ['receipt', { ...goodsReceipt, reason: undefined }, 'reason'],
    ['receipt', { ...goodsReceipt, outcome: 'done' }, 'outcome'],
    ['receipt', { ...goodsReceipt, missing: { containers: [] } }, 'missing.units'],
    ['receipt', { ...goodsReceipt, exceptions: [{ key: 'K', reason: 'lost' }] }, 'exceptions[0].reason'],
  ];
  it.each(malformed.map(([type, payload, path]) => ({ type, payload, path })))(
    'refuses a malformed $type payload, naming $path',
    ({ type, payload, path }) => {
      const decoded = decodePayload(type, payload);
      expect(decoded).toMatchObject({ ok: false, code: 'payload_invalid', path });
      expect(!decoded.ok && decoded.message.startsWith(`${type} payload ${path}: `)).toBe(true);
    },
  );

  it('refuses a record type it has no decoder for', () => {
    expect(decodePayload('refund', { lines: [] })).toMatchObject({
      ok: false,
      code: 'unknown_record_type',
      path: 'type',
      message: expect.stringContaining('expected one of sale, write_off, return, alert, receipt_printed'),
    });
    // Not fooled by what every object inherits.
    expect(decodePayload('toString', {})).toMatchObject({ ok: false, code: 'unknown_record_type' });
  });

  it('payloadOf: the decoded payload of the expected type, or a typed fault naming the record', () => {
    expect(payloadOf({ type: 'return', seq: 4, payload: stored(ret) }, 'return')).toEqual(ret);
    expect(() => payloadOf({ type: 'sale', seq: 4, payload: stored(sale) }, 'return')).toThrow(
      expect.objectContaining({
        code: 'ledger_payload_invalid',
        message: expect.stringMatching(/^Record 4: .*sale record/),
      }),
    );
    expect(() => payloadOf({ type: 'sale', seq: 5, payload: { lines: [] } }, 'sale')).toThrow(
      expect.objectContaining({ code: 'ledger_payload_invalid', message: expect.stringContaining('lines') }),
    );
  });

  const returnLine = fc.record({
    saleId: fc.string({ minLength: 1, maxLength: 30 }),
    writeOffId: fc.string({ minLength: 1, maxLength: 30 }),
    writeOffSeq: fc.integer({ min: 1, max: 2 ** 40 }),
  });
  const returns = fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 12 })
    .chain((keys) =>
      fc.record({
        approvedBy: fc.string({ minLength: 1, maxLength: 20 }),
        lines: fc.tuple(...keys.map((codeKey) => returnLine.map((l) => ({ codeKey, ...l })))),
      }),
    );

  it('any well-formed return decodes to itself with one active change per line (property)', () => {
    fc.assert(
      fc.property(returns, (payload) => {
        const decoded = decodePayload('return', stored(payload));
        expect(decoded.ok && decoded.payload).toEqual(stored(payload));
        expect(decoded.ok && decoded.unitChanges).toEqual(
          payload.lines.map((l) => ({ key: l.codeKey, status: 'active' })),
        );
      }),
    );
  });

  it('a return missing any field of any line is refused naming that line and field (property)', () => {
    const field = fc.constantFrom('codeKey', 'saleId', 'writeOffId', 'writeOffSeq');
    fc.assert(
      fc.property(returns, fc.nat(), field, (payload, pick, name) => {
        const i = pick % payload.lines.length;
        const lines = payload.lines.map((l, j) => {
          if (j !== i) return l;
          const { [name]: _gone, ...rest } = l;
          return rest;
        });
        expect(decodePayload('return', { ...payload, lines })).toMatchObject({
          ok: false,
          path: `lines[${i}].${name}`,
        });
      }),
    );
  });
});

describe('the ledger reads stored payloads through the decoders', () => {
  const temp = makeTempDir('vt-decoders-');
  afterAll(() => {
    ledger.close();
    temp.cleanup();
  });
  const identity = loadOrCreateTerminalKey(join(temp.dir, 'key.pem'));
  const ledger = Ledger.open({
    file: join(temp.dir, 'ledger.db'),
    identity,
    storeId: 's1',
    terminalId: 't1',
  });

  it('refuses to write a return its decoder refuses, before any row is written', () => {
    const head = ledger.headSeq();
    expect(() =>
      ledger.append('return', { approvedBy: 'm1', lines: [{ codeKey: 'A1', saleId: 's' }] }),
    ).toThrow(
      expect.objectContaining({
        code: 'ledger_payload_invalid',
        message: expect.stringContaining('lines[0].writeOffId'),
      }),
    );
    expect(ledger.headSeq()).toBe(head);
  });

  it('exports what the decoder says a record is about; an undecodable payload still exports whole', () => {
    const s = ledger.append('sale', stored(sale));
    const w1 = ledger.append('write_off', { codeKey: 'A1', saleId: s.id, line: 0 });
    const w2 = ledger.append('write_off', { codeKey: 'A2', saleId: s.id, line: 1 });
    const r = ledger.append('return', {
      approvedBy: 'm1',
      lines: [w1, w2].map((w) => ({
        codeKey: w.payload.codeKey,
        saleId: s.id,
        writeOffId: w.id,
        writeOffSeq: w.seq,
      })),
    });
    const odd = ledger.append('receipt_printed', { job: 'no sale id' });
    const cells = (seq: number) => recordCsvLine(ledger.recordAt(seq)!).split(',').slice(2, 8);
    expect(cells(s.seq)).toEqual(['sale', s.at, 's1', 't1', '', s.id]);
    expect(cells(w1.seq)).toEqual(['write_off', w1.at, 's1', 't1', 'A1', s.id]);
    expect(cells(r.seq)).toEqual(['return', r.at, 's1', 't1', 'A1 A2', s.id]);
    expect(cells(odd.seq)).toEqual(['receipt_printed', odd.at, 's1', 't1', '', '']);
    expect(recordCsvLine(odd)).toContain('"{""job"":""no sale id""}"');
    // The chain is intact; decoding the payloads names the record that does not decode.
    expect(ledger.verifyChain()).toMatchObject({ ok: true });
    expect(ledger.verifyChain(undefined, { payloads: true })).toMatchObject({
      ok: false,
      seq: odd.seq,
      problem: 'payload_invalid',
      message: expect.stringContaining('receipt_printed payload saleId'),
    });
    expect(ledger.returnedWriteOffOf('A1', w1.at)).toMatchObject({ writeOffSeq: w1.seq, returnedSeq: r.seq });
    expect(ledger.returnedWriteOffOf('A1', '2000-01-01T00:00:00.000Z')).toBeUndefined();
  });

  it('a stored sale that no longer decodes is a typed fault, not a half-read sale', () => {
    const bad = ledger.append('sale', { externalRef: 'bad', lines: [{ codeKey: 'B1' }] });
    expect(() => ledger.sale(bad.id)).toThrow(
      expect.objectContaining({
        code: 'ledger_payload_invalid',
        message: expect.stringContaining('lines[0].codeTail'),
      }),
    );
    expect(() => ledger.saleByExternalRef('bad')).toThrow(
      expect.objectContaining({ code: 'ledger_payload_invalid' }),
    );
  });
});
