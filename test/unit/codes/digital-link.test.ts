import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';

const opts = { referenceYear: 2026 };

describe('GS1 Digital Link', () => {
  it('accepts any host, port, path prefix and a fragment', () => {
    const r = parseCode('HTTPS://Shop.Example:8443/a/b/c/01/09506000134352/21/X1#frag', opts);
    expect(r).toMatchObject({ ok: true, key: '010950600013435221X1' });
  });

  it('percent-decodes path and query values (set 82 punctuation)', () => {
    const r = parseCode('https://id.gs1.org/01/09506000134352/10/%21%22%25%26/21/A%2FB%3F?91=a%2Bb%3D', opts);
    expect(r).toMatchObject({ ok: true, batch: '!"%&', serial: 'A/B?', attributes: { '91': 'a+b=' } });
  });

  it('ignores query parameters that are not AIs (linkType, utm)', () => {
    const r = parseCode('https://id.gs1.org/01/09506000134352?linkType=gs1:pip&utm_source=x&17=261231', opts);
    expect(r).toMatchObject({ ok: true, kind: 'gtin', key: '0109506000134352', expiry: '2026-12-31' });
  });

  it('reads Digital Link 1.0 short names (/gtin/…/lot/…/ser/…)', () => {
    const r = parseCode('https://id.example/gtin/09506000134352/lot/L1/ser/S1', opts);
    expect(r).toMatchObject({ ok: true, key: '010950600013435221S1', batch: 'L1' });
  });

  it.each<[string, string, string, RegExp]>([
    [
      'broken percent escape',
      'https://id.gs1.org/01/09506000134352/21/A%2',
      'bad_syntax',
      /broken percent-escape/,
    ],
    ['serial in the query', 'https://id.gs1.org/01/09506000134352?21=X', 'bad_syntax', /belongs in the path/],
    [
      'data attribute in the path',
      'https://id.gs1.org/01/09506000134352/17/261231',
      'bad_syntax',
      /not a key qualifier.*query/,
    ],
    [
      'qualifier without a value',
      'https://id.gs1.org/01/09506000134352/21',
      'bad_syntax',
      /qualifier 21 has no value/,
    ],
    ['GTIN check digit', 'https://id.gs1.org/01/09506000134353', 'bad_check_digit', /expected 2/],
    ['GTIN of 11 digits', 'https://id.gs1.org/01/95060001343', 'bad_length', /8, 12, 13 or 14 digits/],
    [
      'SSCC primary key',
      'https://id.gs1.org/00/106141412345678908',
      'unrecognised',
      /AI 00 \(SSCC\) does not identify a product/,
    ],
    ['no path', 'https://id.gs1.org', 'bad_syntax', /no \/01\/\{GTIN\}/],
    [
      'bad date attribute',
      'https://id.gs1.org/01/09506000134352?17=261331',
      'bad_date',
      /day 31 does not exist in 2026-13|month 13/,
    ],
    ['unknown AI attribute', 'https://id.gs1.org/01/09506000134352?2399=1', 'unknown_ai', /'2399'/],
    [
      'layout problem in the serial',
      'https://id.gs1.org/01/09506000134352/21/Ж',
      'bad_character',
      /keyboard-layout/,
    ],
  ])('%s → %s', (_name, input, code, message) => {
    const r = parseCode(input, opts);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.message).toMatch(message);
    expect(r.error.position).toBeGreaterThanOrEqual(0);
  });

  it('points at the offending segment', () => {
    const input = 'https://id.gs1.org/01/09506000134352/21/S/10/L';
    const r = parseCode(input, opts);
    expect(r).toMatchObject({ ok: false, error: { position: input.indexOf('/10/') + 1 } });
  });
});
