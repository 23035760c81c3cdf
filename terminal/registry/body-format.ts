import type { RegistryBatch, RegistryProduct, RegistryUnit, SplitPack, UnitStatus } from './types.js';

/**
 * Body records, one per line (LF), fields separated by TAB. See docs/registry-format.md.
 *   P key name_zh name_en manufacturer spec covered(0|1) withdrawn(0|1) [split]
 *     split (splittable products only, else the field is left out): `packQuantity:unit`, e.g. `10:strip`
 *   B productKey number productionDate expiryDate recalled(0|1) recallReason
 *   U key status batchNumber soldStore soldAt upstreamChecks
 *   -P key | -B productKey number | -U key        (deltas only)
 * Empty field = absent. Text fields escape `\` `\t` `\n` `\r` as `\\` `\t` `\n` `\r`.
 * A line is valid only in its canonical form, so the raw line is also the hashed form.
 */
export const UNIT_STATUSES: readonly UnitStatus[] = [
  'active',
  'received',
  'sold',
  'recalled',
  'withdrawn',
  'stolen',
  'destroyed',
  'locked',
];
/** Stored status number by name (null prototype: `STATUS_CODE['toString']` is undefined). */
export const STATUS_CODE: Readonly<Record<string, number>> = Object.assign(
  Object.create(null) as Record<string, number>,
  Object.fromEntries(UNIT_STATUSES.map((s, i) => [s, i])),
);

const NEEDS_ESCAPE = /[\\\t\n\r]/;
export function escapeField(value: string | undefined): string {
  if (value === undefined) return '';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

export function unescapeField(value: string): string | undefined {
  if (value === '') return undefined;
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 't') return '\t';
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    throw new Error(`bad escape \\${c}`);
  });
}

const CN20 = /^\d{20}$/;
const GS1_UNIT = /^01(\d{14})21([!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20})$/;
const GTIN_KEY = /^01\d{14}$/;
const CN_PRODUCT = /^\d{7}$/;
const DATE = /^\d{4}-\d\d-\d\d$/;
const INT = /^(0|[1-9]\d{0,14})$/;
/** What Date#toISOString writes for years 0000–9999. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Product keys a canonical unit key can belong to, most likely first. A 20-digit key is a cn20
 * code; when it also reads as `01`+GTIN-14+`21`+2-digit serial, the gs1 reading is the fallback
 * (used only when the registry has no cn20 product with those first 7 digits).
 */
export function productKeysOfUnit(key: string): string[] {
  const out: string[] = [];
  if (key.length === 20 && CN20.test(key)) out.push(key.slice(0, 7));
  if (key.length > 18 && GS1_UNIT.test(key)) out.push(key.slice(0, 16));
  return out;
}

/** The most likely product key of a unit key, or undefined if it is not a unit key. */
export function productKeyOfUnit(key: string): string | undefined {
  if (key.length === 20 && CN20.test(key)) return key.slice(0, 7);
  if (key.length > 18 && GS1_UNIT.test(key)) return key.slice(0, 16);
  return undefined;
}

export function isProductKey(key: string): boolean {
  return CN_PRODUCT.test(key) || GTIN_KEY.test(key);
}

/**
 * The stored unit serial: the part of the key after the product key, as an INTEGER when that is
 * lossless (cn20: always, 13 digits, width known; gs1: digits without a leading zero), otherwise
 * as a BLOB of its ASCII bytes (BLOB, not TEXT, so SQLite's INTEGER affinity never rewrites it).
 */
export function serialOf(key: string, productKey: string): number | Buffer {
  if (productKey.length === 7) return Number(key.slice(7));
  const serial = key.slice(18);
  return serial.length < 16 && INT.test(serial) ? Number(serial) : Buffer.from(serial, 'latin1');
}

/** Inverse of `serialOf`. */
export function unitKeyOf(productKey: string, serial: number | Buffer): string {
  if (productKey.length === 7) return productKey + String(serial).padStart(13, '0');
  return `${productKey}21${typeof serial === 'number' ? String(serial) : serial.toString('latin1')}`;
}

export function productLine(p: RegistryProduct): string {
  const split = p.split ? `\t${splitField(p.split)}` : '';
  return `P\t${p.key}\t${escapeField(p.names['zh-CN'])}\t${escapeField(p.names.en)}\t${escapeField(p.manufacturer)}\t${escapeField(p.spec)}\t${p.covered ? 1 : 0}\t${p.withdrawn ? 1 : 0}${split}`;
}

const SPLIT_FIELD = /^([1-9]\d{0,4}):([a-z][a-z_-]{0,23})$/;
/** Largest pack a product may be split into. */
export const MAX_PACK_QUANTITY = 10_000;

/** `10:strip`: the body field (and the registry column) of a splittable product. */
export function splitField(split: SplitPack): string {
  return `${split.packQuantity}:${split.unit}`;
}

/** Parses `packQuantity:unit`; throws naming what was expected. */
export function parseSplitField(value: string): SplitPack {
  const m = SPLIT_FIELD.exec(value);
  const packQuantity = m ? Number(m[1]) : Number.NaN;
  if (!m || packQuantity < 2 || packQuantity > MAX_PACK_QUANTITY) {
    throw new Error(
      `split must be packQuantity:unit with packQuantity 2–${MAX_PACK_QUANTITY} and a lower-case unit (e.g. 10:strip), got ${JSON.stringify(value)}`,
    );
  }
  return { packQuantity, unit: m[2]! };
}

export function batchLine(b: RegistryBatch): string {
  return `B\t${b.productKey}\t${escapeField(b.number)}\t${b.productionDate ?? ''}\t${b.expiryDate ?? ''}\t${b.recalled ? 1 : 0}\t${escapeField(b.recallReason)}`;
}

export function unitLine(u: RegistryUnit): string {
  return `U\t${u.key}\t${u.status}\t${escapeField(u.batchNumber)}\t${escapeField(u.soldAt?.store)}\t${u.soldAt?.at ?? ''}\t${u.upstreamChecks ?? ''}`;
}

export type BodyRecord =
  | { type: 'P'; product: RegistryProduct }
  | { type: 'B'; batch: RegistryBatch }
  | { type: 'U'; unit: RegistryUnit }
  | { type: '-P'; key: string }
  | { type: '-B'; productKey: string; number: string }
  | { type: '-U'; key: string };

function bit(v: string | undefined, what: string): boolean {
  if (v === '1') return true;
  if (v === '0') return false;
  throw new Error(`${what} must be 0 or 1`);
}

function date(v: string | undefined, what: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!DATE.test(v)) throw new Error(`${what} must be YYYY-MM-DD`);
  return v;
}

/** Parses one line; throws an Error naming the problem (the caller adds the line number). */
export function parseLine(line: string): BodyRecord {
  const f = line.split('\t');
  const type = f[0];
  const need = (n: number) => {
    if (f.length !== n) throw new Error(`${type} record needs ${n} fields, got ${f.length}`);
  };
  switch (type) {
    case 'U': {
      need(7);
      const key = f[1]!;
      if (!productKeyOfUnit(key))
        throw new Error(`unit key ${JSON.stringify(key)} is not a cn20 or gs1 unit key`);
      const status = f[2]!;
      if (STATUS_CODE[status] === undefined)
        throw new Error(`unit status ${JSON.stringify(status)} is unknown`);
      const unit: RegistryUnit = { key, status: status as UnitStatus, productKey: productKeyOfUnit(key)! };
      const batch = unescapeField(f[3]!);
      if (batch !== undefined) unit.batchNumber = batch;
      const store = unescapeField(f[4]!);
      const at = f[5]!;
      if ((store === undefined) !== (at === '')) throw new Error('soldStore and soldAt go together');
      if (store !== undefined) {
        if (!ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) {
          throw new Error('soldAt must be an ISO time as Date#toISOString writes it');
        }
        unit.soldAt = { store, at };
      }
      if (f[6] !== '') {
        if (!INT.test(f[6]!)) throw new Error('upstreamChecks must be a non-negative integer');
        unit.upstreamChecks = Number(f[6]);
      }
      return { type, unit };
    }
    case 'P': {
      // A splittable product has a ninth field; older products (and older registries) have eight.
      if (f.length !== 9) need(8);
      const key = f[1]!;
      if (!isProductKey(key))
        throw new Error(`product key ${JSON.stringify(key)} is not 01+GTIN-14 or 7 digits`);
      const product: RegistryProduct = {
        key,
        names: { 'zh-CN': unescapeField(f[2]!) ?? '', en: unescapeField(f[3]!) ?? '' },
        manufacturer: unescapeField(f[4]!) ?? '',
        covered: bit(f[6], 'covered'),
      };
      const spec = unescapeField(f[5]!);
      if (spec !== undefined) product.spec = spec;
      if (bit(f[7], 'withdrawn')) product.withdrawn = true;
      if (f.length === 9) product.split = parseSplitField(f[8]!);
      if (!product.names['zh-CN'] || !product.names.en) throw new Error('product needs zh-CN and en names');
      return { type, product };
    }
    case 'B': {
      need(7);
      const productKey = f[1]!;
      if (!isProductKey(productKey))
        throw new Error(`batch product key ${JSON.stringify(productKey)} is invalid`);
      const number = unescapeField(f[2]!);
      if (number === undefined) throw new Error('batch number is empty');
      const batch: RegistryBatch = { productKey, number, recalled: bit(f[5], 'recalled') };
      const production = date(f[3], 'productionDate');
      const expiry = date(f[4], 'expiryDate');
      if (production) batch.productionDate = production;
      if (expiry) batch.expiryDate = expiry;
      const reason = unescapeField(f[6]!);
      if (reason !== undefined) batch.recallReason = reason;
      return { type, batch };
    }
    case '-U':
    case '-P': {
      need(2);
      const key = f[1]!;
      if (type === '-U' ? !productKeyOfUnit(key) : !isProductKey(key))
        throw new Error(`bad key in ${type} record`);
      return { type, key };
    }
    case '-B': {
      need(3);
      const number = unescapeField(f[2]!);
      if (!isProductKey(f[1]!) || number === undefined) throw new Error('bad -B record');
      return { type, productKey: f[1]!, number };
    }
    default:
      throw new Error(`unknown record type ${JSON.stringify(type?.slice(0, 8))}`);
  }
}

/** The canonical line of a parsed record; equal to the input line iff the input was canonical. */
export function canonicalLine(record: BodyRecord): string {
  switch (record.type) {
    case 'P':
      return productLine(record.product);
    case 'B':
      return batchLine(record.batch);
    case 'U':
      return unitLine(record.unit);
    case '-P':
    case '-U':
      return `${record.type}\t${record.key}`;
    case '-B':
      return `-B\t${record.productKey}\t${escapeField(record.number)}`;
  }
}
