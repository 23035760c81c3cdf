import { describe, expect, it } from 'vitest';
import { toProduct } from '../../../cli/registry/input.js';
import { canonicalLine, parseLine, productLine } from '../../../terminal/registry/body-format.js';

const OLD = 'P\t6907777\t阿莫西林胶囊\tAmoxicillin capsules\tAcme\t\t1\t0';

describe('registry body: the product split field (拆零)', () => {
  it('an eight-field product line (registries from before) is a whole-pack product', () => {
    const record = parseLine(OLD);
    expect(record).toMatchObject({ type: 'P', product: { key: '6907777' } });
    expect(record.type === 'P' && record.product.split).toBeUndefined();
    expect(canonicalLine(record)).toBe(OLD);
  });

  it('a ninth field packQuantity:unit makes it splittable, and is canonical', () => {
    const line = `${OLD}\t10:strip`;
    const record = parseLine(line);
    expect(record.type === 'P' && record.product.split).toEqual({ packQuantity: 10, unit: 'strip' });
    expect(canonicalLine(record)).toBe(line);
    expect(record.type === 'P' && productLine(record.product)).toBe(line);
  });

  it.each([
    ['', 'empty'],
    ['1:strip', 'a pack of one'],
    ['10001:strip', 'past the limit'],
    ['010:strip', 'a leading zero (not canonical)'],
    ['10:Strip', 'an upper-case unit'],
    ['10', 'no unit'],
    ['ten:strip', 'no number'],
  ])('refuses %j (%s), naming what was expected', (field) => {
    expect(() => parseLine(`${OLD}\t${field}`)).toThrow(/split must be packQuantity:unit/);
  });

  it('a tenth field is refused as before', () => {
    expect(() => parseLine(`${OLD}\t10:strip\tx`)).toThrow('P record needs 8 fields, got 10');
  });
});

describe('registry authoring input (veriterm registry build/delta): split', () => {
  const row = {
    key: '6907777',
    name_zh: '阿莫西林胶囊',
    name_en: 'Amoxicillin capsules',
    manufacturer: 'Acme',
  };
  it('takes split as packQuantity:unit; empty or absent is a whole-pack product', () => {
    expect(toProduct({ ...row, split: '10:strip' }, 'products.csv line 2').split).toEqual({
      packQuantity: 10,
      unit: 'strip',
    });
    expect(toProduct({ ...row, split: '' }, 'products.csv line 2')).not.toHaveProperty('split');
    expect(toProduct(row, 'products.csv line 2')).not.toHaveProperty('split');
  });
  it('refuses a bad split naming the input line and what was expected', () => {
    expect(() => toProduct({ ...row, split: '10 strips' }, 'products.csv line 3')).toThrow(
      /products.csv line 3: split must be packQuantity:unit/,
    );
  });
});
