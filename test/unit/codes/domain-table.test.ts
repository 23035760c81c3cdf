import { describe, expect, it } from 'vitest';
import { AI_DEFINITIONS, gs1CheckDigit, parseCode, productKeyOf } from '../../../terminal/codes/index.js';

const opts = { referenceYear: 2026 };

/** One test per row of DOMAIN.md "Code formats the scanner front end must accept". */
describe('DOMAIN.md code formats', () => {
  it.each([
    ['bare', '69012345678901234567'],
    [']C0', ']C069012345678901234567'],
    ['typed from a label with spaces', '6901234 567890123 4567'],
  ])('China supervision code, %s: 20 digits, product code and serial split out', (_how, input) => {
    const r = parseCode(input, opts);
    expect(r).toMatchObject({
      ok: true,
      kind: 'cn20',
      key: '69012345678901234567',
      productCode: '6901234',
      serial: '567890123',
      attributes: {},
    });
    expect(r.ok && productKeyOf(r)).toBe('6901234');
  });

  it.each([']d2', ']C1', ']Q3', ']e0', ']J1'])(
    'GS1 element string with AIM %s: key GTIN + serial; batch, expiry kept',
    (aim) => {
      const r = parseCode(`${aim}0109506000134352172612001012AB\x1d21SER-1`, opts);
      expect(r).toMatchObject({
        ok: true,
        kind: 'gs1',
        key: '010950600013435221SER-1',
        batch: '12AB',
        expiry: '2026-12-31',
        aim: { raw: aim },
      });
      expect(r.ok && productKeyOf(r)).toBe('0109506000134352');
    },
  );

  it('a 20-digit element string behind a GS1 AIM is GS1, not a supervision code', () => {
    expect(parseCode(']d2010950600013435221AB', opts)).toMatchObject({ ok: true, kind: 'gs1', serial: 'AB' });
  });

  it.each([
    [
      'https, any domain and path prefix',
      'https://brand.example/products/x/01/09506000134352/21/A%2FB?17=261200',
    ],
    [']Q1', ']Q1https://id.gs1.org/01/09506000134352/21/A%2FB?17=261200'],
    [']d1', ']d1http://id.gs1.org/01/09506000134352/21/A%2FB?17=261200&linkType=gs1:pip'],
  ])('GS1 Digital Link, %s: /01/{gtin}, percent-decoded serial, query attributes', (_how, input) => {
    expect(parseCode(input, opts)).toMatchObject({
      ok: true,
      kind: 'gs1',
      key: '010950600013435221A/B',
      serial: 'A/B',
      expiry: '2026-12-31',
      attributes: { '17': '261200' },
    });
  });

  it('Digital Link qualifiers 22 → 10 → 21 in order; GTIN-8/12/13 left-padded to 14', () => {
    expect(parseCode('https://d.example/01/96385074/22/V1/10/L1/21/S1', opts)).toMatchObject({
      ok: true,
      key: '010000009638507421S1',
      attributes: { '22': 'V1', '10': 'L1', '21': 'S1' },
    });
    expect(parseCode('https://d.example/01/012345678905/21/S1', opts)).toMatchObject({
      key: '010001234567890521S1',
    });
    expect(parseCode('https://d.example/01/4006381333931/21/S1', opts)).toMatchObject({
      key: '010400638133393121S1',
    });
    const wrong = parseCode('https://d.example/01/09506000134352/21/S1/10/L1', opts);
    expect(wrong).toMatchObject({ ok: false, error: { code: 'bad_syntax' } });
    expect(!wrong.ok && wrong.error.message).toContain('order 22, 10, 21');
  });

  it.each([
    [']E0 EAN-13', ']E04006381333931', '04006381333931'],
    [']E0 UPC-A as 13 digits', ']E00012345678905', '00012345678905'],
    [']E4 EAN-8', ']E496385074', '00000096385074'],
    ['bare EAN-13', '4006381333931', '04006381333931'],
    ['bare UPC-A (12)', '012345678905', '00012345678905'],
    ['bare EAN-8', '96385074', '00000096385074'],
  ])('EAN/UPC %s: kind gtin, product only', (_how, input, gtin) => {
    const r = parseCode(input, opts);
    expect(r).toMatchObject({ ok: true, kind: 'gtin', key: `01${gtin}`, gtin });
    expect(r.ok && r.serial).toBeUndefined();
  });

  it.each([
    ['01234565', '00012345000065'], // 5–9: ns d1..d5 0000 d6 (the usual textbook example)
    ['04252614', '00042100005264'], // 0–2: ns d1 d2 d6 0000 d3 d4 d5
    ['01234133', '00012300000413'], // 3
    ['01234145', '00012340000015'], // 4
  ])('UPC-E %s read as ]E0 expands to UPC-A (GenSpec §5.2.2.4.2)', (upcE, gtin) => {
    expect(parseCode(`]E0${upcE}`, opts)).toMatchObject({ ok: true, kind: 'gtin', gtin });
  });

  it.each(['hello', 'ABC-123', '!!!', '2024-01-01', '10 pcs'])(
    'anything else (%s) is malformed with the reason',
    (input) => {
      const r = parseCode(input, opts);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.code).toBe('unrecognised');
      expect(!r.ok && r.error.message).toMatch(/expected 20 digits/);
    },
  );
});

describe('DOMAIN.md check-digit examples', () => {
  it.each([
    ['400638133393', 1],
    ['0950600013435', 2],
    ['0952123454321', 3],
  ])('%s → %d', (digits, check) => {
    expect(gs1CheckDigit(digits)).toBe(check);
    expect(parseCode(`01${digits.padStart(13, '0')}${check}`, opts).ok).toBe(true);
    const wrong = parseCode(`01${digits.padStart(13, '0')}${(check + 1) % 10}`, opts);
    expect(wrong).toMatchObject({ ok: false, error: { code: 'bad_check_digit', position: 15 } });
  });
});

describe('DOMAIN.md predefined-length AIs (total length incl. the AI)', () => {
  const totals: Record<string, number> = {
    '00': 20,
    '01': 16,
    '02': 16,
    '03': 16,
    '04': 18,
    '11': 8,
    '12': 8,
    '13': 8,
    '15': 8,
    '16': 8,
    '17': 8,
    '20': 4,
    '31': 10,
    '32': 10,
    '33': 10,
    '34': 10,
    '35': 10,
    '36': 10,
    '41': 16,
  };
  it('every AI in the predefined prefixes has the stated total length and needs no GS', () => {
    let seen = 0;
    for (const def of AI_DEFINITIONS.values()) {
      const total = totals[def.ai.slice(0, 2)];
      if (total === undefined) {
        expect(def.predefined, def.ai).toBe(false);
        continue;
      }
      seen++;
      expect(def.predefined, def.ai).toBe(true);
      expect(def.ai.length + def.maxLength, def.ai).toBe(total);
    }
    expect(seen).toBeGreaterThan(100);
  });

  it('AIs are prefix-free and 91–99 are company-internal X..90', () => {
    const ais = [...AI_DEFINITIONS.keys()];
    const clashes = ais.filter((a) => ais.some((b) => a !== b && b.startsWith(a)));
    expect(clashes).toEqual([]);
    for (let n = 91; n <= 99; n++)
      expect(AI_DEFINITIONS.get(String(n))).toMatchObject({ format: 'X..90', predefined: false });
  });
});
