import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalLine,
  parseLine,
  productKeysOfUnit,
  serialOf,
  unitKeyOf,
  unitLine,
} from '../../../terminal/registry/body-format.js';
import type { RegistryUnit } from '../../../terminal/registry/types.js';

const text = fc.string({
  minLength: 1,
  maxLength: 12,
  unit: fc.constantFrom('a', '中', '\t', '\n', '\\', '\r', ' ', 'Z', '"'),
});
const gs1Serial = fc.stringMatching(/^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/);

describe('registry body records', () => {
  it('parse(canonical line) gives the record back and re-serialises to the same line', () => {
    fc.assert(
      fc.property(
        fc.record({
          key: fc.oneof(
            fc.stringMatching(/^\d{20}$/),
            gs1Serial.map((s) => `010950600013435221${s}`),
          ),
          status: fc.constantFrom('active', 'sold', 'recalled', 'locked'),
          batch: fc.option(text, { nil: undefined }),
          sold: fc.option(
            fc.tuple(text, fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })),
            { nil: undefined },
          ),
          checks: fc.option(fc.nat(), { nil: undefined }),
        }),
        (r) => {
          const unit: RegistryUnit = {
            key: r.key,
            status: r.status as RegistryUnit['status'],
            productKey: productKeysOfUnit(r.key)[0]!,
          };
          if (r.batch !== undefined) unit.batchNumber = r.batch;
          if (r.sold) unit.soldAt = { store: r.sold[0], at: r.sold[1].toISOString() };
          if (r.checks !== undefined) unit.upstreamChecks = r.checks;
          const line = unitLine(unit);
          expect(line).not.toMatch(/[\n\r]/);
          const parsed = parseLine(line);
          expect(parsed).toEqual({ type: 'U', unit });
          expect(canonicalLine(parsed)).toBe(line);
        },
      ),
    );
  });

  it('rejects non-canonical and broken lines with a reason', () => {
    expect(() => parseLine('U\t69012340000000011234\tactive\t\t\t')).toThrow(/7 fields/);
    expect(() => parseLine('U\t69012340000000011234\tlost\t\t\t\t')).toThrow(/status/);
    expect(() => parseLine('U\t69012340000000011234\ttoString\t\t\t\t')).toThrow(/status/);
    expect(() => parseLine('U\t6901234\tactive\t\t\t\t')).toThrow(/unit key/);
    expect(() => parseLine('U\t69012340000000011234\tactive\t\t\t\t007')).toThrow(/upstreamChecks/);
    expect(() => parseLine('U\t69012340000000011234\tsold\t\tS1\t2026-11-20 09:30\t')).toThrow(/soldAt/);
    expect(() => parseLine('U\t69012340000000011234\tactive\tB\\x\t\t\t')).toThrow(/escape/);
    expect(() => parseLine('X\tfoo')).toThrow(/unknown record type/);
    expect(() => parseLine('B\t6901234\tB1\t2025-1-1\t\t0\t')).toThrow(/YYYY-MM-DD/);
  });

  it('maps unit keys to (product, serial) and back losslessly', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(/^\d{20}$/),
          gs1Serial.map((s) => `010950600013435221${s}`),
        ),
        (key) => {
          for (const productKey of productKeysOfUnit(key)) {
            expect(unitKeyOf(productKey, serialOf(key, productKey))).toBe(key);
          }
        },
      ),
    );
    expect(serialOf('69012340000000011234', '6901234')).toBe(11234);
    expect(serialOf('010950600013435221123', '0109506000134352')).toBe(123);
    expect(serialOf('0109506000134352210123', '0109506000134352')).toEqual(Buffer.from('0123'));
    // 20 digits reading as both cn20 and 01+GTIN+21+2-digit serial: cn20 first, gs1 fallback.
    expect(productKeysOfUnit('01095060001343522112')).toEqual(['0109506', '0109506000134352']);
  });
});
