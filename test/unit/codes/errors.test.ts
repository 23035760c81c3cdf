import { describe, expect, it } from 'vitest';
import { type ParseErrorCode, parseCode } from '../../../terminal/codes/index.js';

const opts = { referenceYear: 2026 };
const GS = '\x1d';

/** Every error names the problem, where it is (input offset after the AIM prefix) and what was expected. */
describe('coded errors with position and message', () => {
  it.each<[string, string, ParseErrorCode, number | undefined, RegExp]>([
    ['empty', '', 'empty', undefined, /no data/],
    ['only a suffix', '\r\n\t', 'empty', undefined, /no data/],
    ['AIM only', ']d2\r', 'empty', 0, /after the AIM symbology identifier \]d2/],
    [
      'UPC-E check digit (]E0, 8 digits)',
      ']E001234566',
      'bad_check_digit',
      7,
      /UPC-E at position 7: check digit is 6, expected 5/,
    ],
    [
      'EAN-13 typed with spaces',
      '400 6381 33393 2',
      'bad_check_digit',
      15,
      /EAN-13 at position 15: check digit is 2, expected 1/,
    ],
    [
      'GTIN check digit',
      ']d20109506000134353',
      'bad_check_digit',
      15,
      /AI 01 \(GTIN\) at position 15: GTIN check digit is 3, expected 2/,
    ],
    [
      'EAN-8 check digit',
      '96385075',
      'bad_check_digit',
      7,
      /EAN-8 at position 7: check digit is 5, expected 4/,
    ],
    [
      'GLN check digit (AI 414)',
      '01095060001343524141234567890120' + '21X',
      'bad_check_digit',
      31,
      /AI 414 \(LOC No\.\) at position 31: key check digit is 0, expected 8/,
    ],
    [
      'unknown AI',
      `01095060001343522312345`,
      'unknown_ai',
      16,
      /no GS1 Application Identifier starts with '2312'/,
    ],
    ['unknown AI 04 (reserved)', `04123${GS}21X`, 'unknown_ai', 0, /starts with '0412'/],
    [
      'GTIN too short',
      ']d2010950600013',
      'bad_length',
      2,
      /AI 01 \(GTIN\) at position 2: value has 10 characters, expected 14/,
    ],
    [
      'GS inside a predefined-length field',
      `]d20109506${GS}00134352`,
      'bad_length',
      2,
      /value has 5 characters, expected 14/,
    ],
    [
      'serial longer than 20 (missing GS)',
      `010950600013435221ABCDEFGHIJKLMNOPQRSTUVWXYZ10LOT`,
      'bad_length',
      18,
      /more than the 20 allowed.*GS separator is probably missing/,
    ],
    ['empty serial', `0109506000134352${GS}21${GS}10A`, 'bad_length', 19, /value is empty/],
    [
      'fixed non-predefined length (422 N3)',
      `0109506000134352422${'0'.repeat(4)}`,
      'bad_length',
      19,
      /value runs 4 characters, more than the 3 allowed \(format N3\)/,
    ],
    [
      'month 13',
      '0109506000134352171313012112345',
      'bad_date',
      20,
      /AI 17 \(USE BY OR EXPIRY\) at position 20: month 13 is not a month \(expected YYMMDD\)/,
    ],
    ['30 February', '0109506000134352172602302112345', 'bad_date', 22, /day 30 does not exist in 2026-02/],
    [
      '29 February in a non-leap year',
      '0109506000134352112502292112345',
      'bad_date',
      22,
      /day 29 does not exist in 2025-02/,
    ],
    [
      'hour 25 in AI 7003',
      `010950600013435270032612312500${GS}21X`,
      'bad_date',
      26,
      /hour 25 is not an hour \(expected YYMMDDhhmm\)/,
    ],
    ['letter in a numeric field', '010950600O134352', 'bad_syntax', 9, /'O' \(U\+004F\) is not a digit/],
    [
      'umlaut in a serial',
      '010950600013435221Müller',
      'bad_character',
      19,
      /'ü' \(U\+00FC\).*keyboard-layout mismatch.*German/,
    ],
    [
      'space in a serial',
      '010950600013435221AB CD',
      'bad_character',
      20,
      /' ' \(U\+0020\) is not a GS1 character set 82 character/,
    ],
    ['Cyrillic plain text', 'Привет', 'bad_character', 0, /keyboard-layout mismatch/],
    ['too long', '0'.repeat(4097), 'too_long', 4096, /4097 characters, more than the 4096 allowed/],
    ['odd digit count', '1234567890123456789', 'bad_length', 0, /19 digits is not a known code length/],
    [
      'duplicate AI with different values',
      `010950600013435210A${GS}10B`,
      'bad_syntax',
      20,
      /AI 10 at position 20: appears twice/,
    ],
    ['element string without GTIN', `10ABC${GS}21X`, 'unrecognised', undefined, /no GTIN \(AI 01\)/],
    ['AI cut short at the end', '01095060001343522', 'bad_syntax', 17, /ends in the middle of an AI/],
  ])('%s', (_name, input, code, position, message) => {
    const r = parseCode(input, opts);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.position).toBe(position);
    expect(r.error.message).toMatch(message);
  });

  it('positions count from after the AIM prefix and point into the original text when <GS> was replaced', () => {
    const r = parseCode(']d20109506000134352<GS>21AB<GS>17261301', opts);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_date', position: 32 } });
    // Position 32 after "]d2" is the "13" month digits in the input as typed.
    expect(']d20109506000134352<GS>21AB<GS>17261301'.slice(3 + 32, 3 + 34)).toBe('13');
  });

  it('failures keep the AIM identifier that was read', () => {
    expect(parseCode(']C1xyz', opts)).toMatchObject({
      ok: false,
      aim: { raw: ']C1', symbology: 'C', modifier: '1' },
    });
  });

  it('throws only for bad options, naming the option and what was expected', () => {
    expect(() => parseCode('x', { gs: '' })).toThrow(/expected option gs to be 1 to 8 characters/);
    expect(() => parseCode('x', { gs: '1' })).toThrow(/without digits/);
    expect(() => parseCode('x', { maxLength: 5000 })).toThrow(/maxLength/);
  });
});
