import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';

const opts = { referenceYear: 2026 };
const GS = '\x1d';

/** Published examples: GS1 General Specifications, GS1 Digital Link standard, GS1 DataMatrix guideline. */
describe('published GS1 examples', () => {
  const unit = {
    ok: true,
    kind: 'gs1',
    key: '01095060001343522112345',
    gtin: '09506000134352',
    serial: '12345',
    batch: 'ABC123',
    expiry: '2020-12-25',
    attributes: { '01': '09506000134352', '17': '201225', '10': 'ABC123', '21': '12345' },
  };

  it.each([
    ['bracketed human-readable form', '(01)09506000134352(17)201225(10)ABC123(21)12345'],
    ['GS1 DataMatrix with ]d2 and GS', `]d201095060001343521720122510ABC123${GS}2112345`],
    ['GS1-128 with ]C1', `]C101095060001343521720122510ABC123${GS}2112345`],
    ['GS1 QR with ]Q3', `]Q301095060001343521720122510ABC123${GS}2112345`],
    ['GS1 DataBar with ]e0', `]e001095060001343521720122510ABC123${GS}2112345`],
    ['GS1 DotCode with ]J1', `]J101095060001343521720122510ABC123${GS}2112345`],
    ['without AIM, FNC1 sent as leading GS', `${GS}01095060001343521720122510ABC123${GS}2112345`],
    [
      'Digital Link (DL standard example)',
      'https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=201225',
    ],
    [
      'Digital Link in a QR code (]Q1)',
      ']Q1https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=201225',
    ],
    ['Digital Link with GTIN-13', 'https://example.com/01/9506000134352/10/ABC123/21/12345?17=201225'],
  ])('%s', (_name, input) => {
    expect(parseCode(input, opts)).toMatchObject(unit);
  });

  it('GS1 DataMatrix healthcare layout (GTIN 0952123454321 from GenSpec §7.9): fields in any order', () => {
    const r = parseCode(`]d2010952123454321317261231217Y2X9QPR${GS}10LOT-42`, opts);
    expect(r).toMatchObject({
      ok: true,
      kind: 'gs1',
      key: '0109521234543213217Y2X9QPR',
      serial: '7Y2X9QPR',
      batch: 'LOT-42',
      expiry: '2026-12-31',
    });
  });

  it('GS1-128 with SSCC only is a logistic unit, not a product unit', () => {
    const r = parseCode(']C100376104250021234569', opts);
    expect(r).toMatchObject({ ok: false, error: { code: 'unrecognised' } });
    expect(!r.ok && r.error.message).toContain('SSCC');
  });

  it('GS1-128 with SSCC check digit wrong names the SSCC', () => {
    const r = parseCode(']C100376104250021234568', opts);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_check_digit', position: 19 } });
    expect(!r.ok && r.error.message).toContain('SSCC check digit is 8, expected 9');
  });

  it('DataBar Expanded example (GS1 Syntax Engine): (01)09501101530003(17)140704(10)AB-123', () => {
    const r = parseCode(']e0010950110153000317140704 10AB-123'.replace(' ', ''), opts);
    expect(r).toMatchObject({
      ok: true,
      kind: 'gtin',
      key: '0109501101530003',
      batch: 'AB-123',
      expiry: '2014-07-04',
    });
  });

  it('variable measure and price AIs need no separator when predefined (3103) and end at GS otherwise (3922)', () => {
    const r = parseCode(`010950110153000331030001893922599${GS}21X`, opts);
    expect(r).toMatchObject({ ok: true, attributes: { '3103': '000189', '3922': '599', '21': 'X' } });
  });

  it('production date (11) and day 00 expiry (17) resolve to first and last day of the month', () => {
    const r = parseCode('010950600013435211240200172402002112345', opts);
    expect(r).toMatchObject({ ok: true, productionDate: '2024-02-01', expiry: '2024-02-29' });
  });

  it('bracketed form with spaces between groups, as printed under the barcode', () => {
    const r = parseCode('(01) 09506000134352 (17) 201225 (10) ABC123 (21) 12345', opts);
    expect(r).toMatchObject({ ok: true, key: '01095060001343522112345', batch: 'ABC123' });
  });

  it('GTIN-14 with packaging indicator from ITF-14 (]I1)', () => {
    expect(parseCode(']I195012345678903', opts)).toMatchObject({
      ok: true,
      kind: 'gtin',
      key: '0195012345678903',
    });
  });
});

describe('Chestny Znak codes (AIs 91/92/93 are crypto tail, kept but not keyed)', () => {
  const sig = 'dGVzdHNpZ25hdHVyZWJhc2U2NGVuY29kZWQxMjM0NTY=';
  it.each([
    [
      'medicine: 21 (13) + 91 + 92',
      `0104600439931256215Zr8Lf>uW&<rF2${GS}91FFD0${GS}92${sig}`,
      '215Zr8Lf>uW&<rF2',
      { '91': 'FFD0', '92': sig },
    ],
    ['dairy: 21 (6) + 93 (4)', `]d2010460043993125621aB3!xQ${GS}93dGVz`, '21aB3!xQ', { '93': 'dGVz' }],
    [
      'shoes: 21 (13) + 91 + 92 with <GS> text substitutes',
      `0104600439931256215Zr8Lf>uW&<rF2<GS>91FFD0<GS>92${sig}`,
      '215Zr8Lf>uW&<rF2',
      { '92': sig },
    ],
  ])('%s', (_name, input, serialAi, crypto) => {
    const r = parseCode(input, opts);
    expect(r).toMatchObject({
      ok: true,
      kind: 'gs1',
      gtin: '04600439931256',
      key: `0104600439931256${serialAi}`,
    });
    expect(r.ok && r.attributes).toMatchObject(crypto);
  });

  it('tobacco pack: 21 (7) + 8005 price + 93 tail', () => {
    const r = parseCode(`]d2010460043993125621JgXJ5.T${GS}8005112000${GS}930Z1D`, opts);
    expect(r).toMatchObject({
      ok: true,
      key: '010460043993125621JgXJ5.T',
      attributes: { '8005': '112000', '93': '0Z1D' },
    });
  });

  it('a scanner on a Russian keyboard layout gives a layout hint, not just "bad character"', () => {
    const r = parseCode('0104600439931256215Zr8Lf>uW&ЖrF2', opts);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_character', position: 28 } });
    expect(!r.ok && r.error.message).toMatch(/keyboard-layout mismatch/);
    expect(!r.ok && r.error.message).toContain("'Ж' (U+0416)");
  });
});
