import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentHash } from '../../../terminal/registry/content-hash.js';

describe('registry content hash (multiset hash)', () => {
  it('does not depend on order, and remove undoes add', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 30 }), fc.nat(), (lines, seed) => {
        const a = new ContentHash();
        for (const l of lines) a.add(l);
        let state = seed;
        const shuffled = [...lines].sort(() => {
          state = (state * 1103515245 + 12345) >>> 0;
          return state & 1 ? 1 : -1;
        });
        const b = new ContentHash();
        for (const l of shuffled) b.add(l);
        expect(b.digest()).toBe(a.digest());
        const c = ContentHash.from(a.digest());
        c.add('extra');
        c.remove('extra');
        for (const l of lines) c.remove(l);
        expect(c.digest()).toBe('0'.repeat(32));
      }),
    );
  });

  it('changes when any record changes', () => {
    const a = new ContentHash();
    a.add('U\t69012340000000011234\tactive\t\t\t\t');
    const b = new ContentHash();
    b.add('U\t69012340000000011234\tsold\t\t\t\t');
    expect(a.digest()).not.toBe(b.digest());
    expect(a.digest()).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('content hash of strings equals the hash of their UTF-8 bytes', () => {
  it('for any text, including CJK, emoji and lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (line) => {
        const fromString = new ContentHash();
        fromString.add(line);
        const bytes = Buffer.from(line, 'utf8');
        const fromBytes = new ContentHash();
        fromBytes.addBytes(bytes, 0, bytes.length);
        expect(fromString.digest()).toBe(fromBytes.digest());
      }),
    );
    const h = new ContentHash();
    h.add('P\t6901234\t感冒灵颗粒\t😀\t\ud800x');
    h.remove('P\t6901234\t感冒灵颗粒\t😀\t\ud800x');
    expect(h.digest()).toBe('0'.repeat(32));
  });
});
