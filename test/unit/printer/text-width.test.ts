import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { padToWidth, textWidth, wrapText } from '../../../terminal/receipts/text-width.js';

describe('East Asian width', () => {
  it('counts wide characters as two columns; GB18030 mode counts every non-ASCII character as two', () => {
    expect(textWidth('正品 OK')).toBe(7);
    expect(textWidth('ＡＢ')).toBe(4); // fullwidth forms
    expect(textWidth('café ·')).toBe(6); // ambiguous: narrow from a code table
    expect(textWidth('café ·', 'gb18030')).toBe(8); // é and · are double-byte GB18030 glyphs
  });

  it('pads and cuts to an exact width without splitting a wide character', () => {
    expect(padToWidth('正品', 6, 'right')).toBe('  正品');
    expect(padToWidth('正品', 5, 'center')).toBe('正品 ');
    expect(padToWidth('正品保证', 5)).toBe('正品 ');
  });

  it('wraps mixed text to lines never wider than the limit and loses no character', () => {
    const alphabet = fc.constantFrom(...'ab cd 正品保证 xy验证。12'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }), fc.integer({ min: 2, max: 48 }), (chars, width) => {
        const text = chars.join('');
        const lines = wrapText(text, width);
        for (const line of lines) expect(textWidth(line)).toBeLessThanOrEqual(width);
        expect(lines.join('').replaceAll(' ', '')).toBe(text.replaceAll(' ', ''));
      }),
      { numRuns: 200 },
    );
  });
});
