import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';

const opts = { referenceYear: 2026 };
const KEY = '01095060001343522112345';
const body = (gs: string) => `0109506000134352${'10ABC'}${gs}2112345${gs}91EE06`;

describe('GS substitutes, suffixes, whitespace and bytes', () => {
  it.each([
    ['raw GS (0x1D)', body('\x1d')],
    ['<GS> text', body('<GS>')],
    ['<gs> text', body('<gs>')],
    ['escaped \\u001d', body('\\u001d')],
    ['escaped \\u001D', body('\\u001D')],
    ['escaped \\x1d', body('\\x1d')],
    ['visible ␝ (U+241D)', body('\u241d')],
    ['{GS}', body('{GS}')],
  ])('%s separates fields', (_name, input) => {
    expect(parseCode(input, opts)).toMatchObject({
      ok: true,
      key: KEY,
      batch: 'ABC',
      attributes: { '91': 'EE06' },
    });
  });

  it('a configured substitute character (option gs) separates fields', () => {
    expect(parseCode(body('~'), { ...opts, gs: '~' })).toMatchObject({ ok: true, key: KEY });
    // Without the option, '~' is not in GS1 set 82: an error that names it.
    const r = parseCode(body('~'), opts);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_character', position: 21 } });
  });

  it.each([
    ['CR', '\r'],
    ['CRLF', '\r\n'],
    ['LF', '\n'],
    ['Tab', '\t'],
    ['spaces', '   '],
  ])('strips a %s suffix and leading padding', (_name, suffix) => {
    expect(parseCode(`  ${body('\x1d')}${suffix}`, opts)).toMatchObject({ ok: true, key: KEY });
    expect(parseCode(`]d2${body('\x1d')}${suffix}`, opts)).toMatchObject({
      ok: true,
      key: KEY,
      aim: { raw: ']d2' },
    });
  });

  it('a trailing GS after the last field is ignored', () => {
    expect(parseCode(`0109506000134352212345\x1d`, opts)).toMatchObject({
      ok: true,
      key: '0109506000134352212345',
    });
  });

  it('reads bytes (HID POS, serial) the same as text, including raw GS and UTF-8', () => {
    const bytes = new TextEncoder().encode(`]d2${body('\x1d')}\r`);
    expect(parseCode(bytes, opts)).toMatchObject({ ok: true, key: KEY });
    const cyr = parseCode(new TextEncoder().encode('010950600013435221Жук'), opts);
    expect(cyr).toMatchObject({ ok: false, error: { code: 'bad_character', position: 18 } });
    expect(parseCode(new Uint8Array([0xff, 0xfe, 0x00]), opts)).toMatchObject({ ok: false });
  });

  it('caps input at 4 KiB for strings and bytes, and honours a lower maxLength', () => {
    expect(parseCode('1'.repeat(4096), opts)).toMatchObject({ ok: false, error: { code: 'bad_length' } });
    expect(parseCode(new Uint8Array(4097), opts)).toMatchObject({ ok: false, error: { code: 'too_long' } });
    expect(parseCode(body('\x1d'), { ...opts, maxLength: 20 })).toMatchObject({
      ok: false,
      error: { code: 'too_long' },
    });
  });

  it('takes an AIM identifier reported outside the data (HID POS) when the data has none', () => {
    // 20 digits are a supervision code on their own, but GS1 behind ]d2.
    expect(parseCode('01095060001343522112', { ...opts, aim: ']d2' })).toMatchObject({
      ok: true,
      kind: 'gs1',
      serial: '12',
      aim: { raw: ']d2' },
    });
    expect(parseCode(']C012345678901234567890', { ...opts, aim: ']d2' })).toMatchObject({
      ok: true,
      kind: 'cn20',
      aim: { raw: ']C0' },
    });
    expect(() => parseCode('x', { aim: 'd2' })).toThrow(/expected option aim to be an AIM identifier/);
  });

  it('an unknown AIM symbology falls back to reading the content', () => {
    expect(parseCode(']X012345678901234567890', opts)).toMatchObject({
      ok: true,
      kind: 'cn20',
      aim: { raw: ']X0' },
    });
  });

  it('a GTIN-only AIM (]E0) rejects data that is not a GTIN', () => {
    expect(parseCode(']E0ABC', opts)).toMatchObject({
      ok: false,
      error: { code: 'bad_syntax', position: 0 },
    });
  });

  it('YY dates use the GS1 sliding century window (GenSpec §7.12)', () => {
    const at = (yy: string, referenceYear: number) => {
      const r = parseCode(`010950600013435217${yy}0101`, { referenceYear });
      return r.ok ? r.expiry : r.error.message;
    };
    expect(at('26', 2026)).toBe('2026-01-01');
    expect(at('76', 2026)).toBe('2076-01-01'); // D = 50: current century
    expect(at('77', 2026)).toBe('1977-01-01'); // D = 51: previous century
    expect(at('10', 2090)).toBe('2110-01-01'); // D = −80: next century
  });
});
