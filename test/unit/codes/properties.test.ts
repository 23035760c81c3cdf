import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatElementString,
  gs1CheckDigit,
  type ParseErrorCode,
  type ParseResult,
  parseCode,
  toDigitalLink,
} from '../../../terminal/codes/index.js';
import { PARSE_ERROR_CODES } from '../../../terminal/verify/reasons.js';

const opts = { referenceYear: 2026 };
const SET82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
/** Every code the reader may fail with (terminal/verify/reasons.ts keeps the one list, checked by tsc). */
const CODES: readonly ParseErrorCode[] = PARSE_ERROR_CODES;

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((a) => a.join(''));
// A literal "<GS>" inside a value is read as a separator (documented ambiguity of that substitute).
const set82 = (max: number) =>
  fc
    .array(fc.constantFrom(...SET82), { minLength: 1, maxLength: max })
    .map((a) => a.join(''))
    .filter((s) => !/<gs>/i.test(s));
const gtin14 = digits(13, 13).map((d) => d + gs1CheckDigit(d));
const yymmdd = fc
  .record({
    y: fc.integer({ min: 0, max: 99 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 0, max: 28 }),
  })
  .map(({ y, m, d }) => [y, m, d].map((n) => String(n).padStart(2, '0')).join(''));

/** A GS1 unit as an element string in field order the generator picks. */
const unit = fc.record({
  gtin: gtin14,
  serial: set82(20),
  batch: fc.option(set82(20), { nil: undefined }),
  cpv: fc.option(set82(20), { nil: undefined }),
  expiry: fc.option(yymmdd, { nil: undefined }),
  internal: fc.option(set82(90), { nil: undefined }),
});

type Unit = typeof unit extends fc.Arbitrary<infer T> ? T : never;

function elementString(u: Unit): string {
  let s = `01${u.gtin}`;
  if (u.expiry) s += `17${u.expiry}`;
  const variable: Array<[string, string | undefined]> = [
    ['21', u.serial],
    ['10', u.batch],
    ['22', u.cpv],
    ['92', u.internal],
  ];
  return (
    s +
    variable
      .filter(([, v]) => v !== undefined)
      .map(([ai, v]) => `${ai}${v}`)
      .join('\x1d')
  );
}

function assertWellFormed(r: ParseResult): void {
  if (r.ok) {
    expect(['cn20', 'gs1', 'gtin']).toContain(r.kind);
    expect(r.key.length).toBeGreaterThan(0);
    return;
  }
  expect(CODES).toContain(r.error.code);
  expect(r.error.message.length).toBeGreaterThan(10);
  if (r.error.position !== undefined)
    expect(Number.isInteger(r.error.position) && r.error.position >= 0).toBe(true);
}

describe('properties', () => {
  it('element string ↔ Digital Link round trip gives the same key and attributes', () => {
    fc.assert(
      fc.property(
        unit,
        fc.constantFrom('https://id.gs1.org', 'https://brand.example/x/y/', 'http://a.b'),
        (u, domain) => {
          const a = parseCode(elementString(u), opts);
          expect(a.ok).toBe(true);
          if (!a.ok) return;
          expect(a.key).toBe(`01${u.gtin}21${u.serial}`);
          const b = parseCode(toDigitalLink(a, domain), opts);
          expect(b).toMatchObject({ ok: true, key: a.key, attributes: a.attributes });
          if (!b.ok) return;
          const c = parseCode(formatElementString(b, { aim: ']d2' }), opts);
          expect(c).toMatchObject({ ok: true, key: a.key, attributes: a.attributes });
          // The bracketed form is ambiguous when a value itself contains "(nn)": skip those.
          if (!Object.values(b.attributes).some((v) => /\(\d{2,4}\)/.test(v))) {
            const d = parseCode(formatElementString(b, { bracketed: true }), opts);
            expect(d).toMatchObject({ ok: true, key: a.key });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random strings never throw and always give ok or a coded error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => assertWellFormed(parseCode(s))),
      { numRuns: 1500 },
    );
  });

  it('random bytes never throw and always give ok or a coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => assertWellFormed(parseCode(b))),
      { numRuns: 2000 },
    );
  });

  it('valid codes with random edits never throw and always give ok or a coded error', () => {
    const seeds = [
      ']d201095060001343521720122510ABC123\x1d2112345',
      'https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=201225',
      '(01)09506000134352(17)201225(10)ABC123(21)12345',
      '69012345678901234567',
      '0104600439931256215Zr8Lf>uW&<rF2<GS>91FFD0<GS>92dGVzdA==',
    ];
    const edit = fc.record({
      seed: fc.constantFrom(...seeds),
      at: fc.nat(),
      del: fc.nat({ max: 4 }),
      insert: fc.string({ unit: 'binary', maxLength: 4 }),
    });
    fc.assert(
      fc.property(edit, ({ seed, at, del, insert }) => {
        const i = at % (seed.length + 1);
        assertWellFormed(parseCode(seed.slice(0, i) + insert + seed.slice(i + del)));
      }),
      { numRuns: 2000 },
    );
  });
});
