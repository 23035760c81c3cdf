import { describe, expect, it } from 'vitest';
import {
  formatElementString,
  type ParsedCode,
  parseCode,
  productKeyOf,
  toDigitalLink,
} from '../../../terminal/codes/index.js';

const opts = { referenceYear: 2026 };

function parsed(input: string): ParsedCode {
  const r = parseCode(input, opts);
  if (!r.ok) throw new Error(r.error.message);
  return r;
}

describe('formatElementString / toDigitalLink / productKeyOf', () => {
  const unit = parsed('(01)09506000134352(10)L/1(17)261200(21)A&B(91)x');

  it('writes predefined-length AIs first and GS only between variable-length fields', () => {
    expect(formatElementString(unit)).toBe('01095060001343521726120010L/1\x1d21A&B\x1d91x');
    expect(formatElementString(unit, { gs: '<GS>', aim: ']d2' })).toBe(
      ']d201095060001343521726120010L/1<GS>21A&B<GS>91x',
    );
    expect(formatElementString(unit, { bracketed: true })).toBe(
      '(01)09506000134352(17)261200(10)L/1(21)A&B(91)x',
    );
  });

  it('writes a Digital Link with qualifiers in order, attributes in the query, punctuation encoded', () => {
    expect(toDigitalLink(unit, 'https://brand.example/p/')).toBe(
      'https://brand.example/p/01/09506000134352/10/L%2F1/21/A%26B?17=261200&91=x',
    );
  });

  it('gives the registry product key of every kind', () => {
    expect(productKeyOf(unit)).toBe('0109506000134352');
    expect(productKeyOf(parsed('96385074'))).toBe('0100000096385074');
    expect(productKeyOf(parsed('69012345678901234567'))).toBe('6901234');
  });

  it('refuses to write a supervision code as GS1 Digital Link, and writes it as itself', () => {
    const cn = parsed('69012345678901234567');
    expect(() => toDigitalLink(cn)).toThrow(/no GS1 Digital Link form/);
    expect(formatElementString(cn)).toBe('69012345678901234567');
  });
});
