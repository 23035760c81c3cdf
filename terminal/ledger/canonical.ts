import * as nodeCrypto from 'node:crypto';
import { VeritermError } from '../errors.js';
import type { LedgerRecord } from './types.js';

/**
 * Canonical JSON, the byte form every record hash and signature is computed over. It is the
 * JSON Canonicalization Scheme (RFC 8785) restricted to what records carry:
 * - objects: members sorted by key (UTF-16 code unit order, as `Array.prototype.sort`), no
 *   whitespace; members whose value is `undefined` are left out;
 * - arrays keep their order; strings as `JSON.stringify` writes them (RFC 8785 §3.2.2.2);
 * - numbers must be finite and are written as ECMAScript writes them (RFC 8785 §3.2.2.3);
 *   `NaN`, `Infinity`, bigint, functions, symbols, Dates and class instances are refused;
 * - the text is encoded as UTF-8.
 */
export function canonicalJson(value: unknown): string {
  // A value whose objects already list their keys in sorted order (the ledger's own payload
  // builders make them so) is written by JSON.stringify itself: ~3x faster than sorting and
  // concatenating member by member (a 10-line sale payload: ~16 µs -> ~5 µs here).
  if (isSortedJson(value)) return JSON.stringify(value);
  const out = writeFast(value);
  // The fast writer only says *that* the value is not JSON data; the slow one says where.
  return out ?? write(value, '$');
}

/**
 * The hot path (every record, every sale line): no path strings, no intermediate arrays beyond
 * the sorted key list. Returns undefined for anything it would refuse; `write` then explains.
 */
function writeFast(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const text = item === undefined ? 'null' : writeFast(item);
          if (text === undefined) return undefined;
          out += i === 0 ? text : `,${text}`;
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        const text = writeFast(member);
        if (text === undefined) return undefined;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

/**
 * Whether JSON.stringify writes `value` exactly as the canonical writers would: plain objects and
 * arrays of strings, finite numbers, booleans and null, with every object's keys (Object.keys
 * order, which is JSON.stringify's) in sorted order. `undefined` members are left out and
 * `undefined` array items become null by both. Anything else (unsorted keys, NaN, Dates, bigint,
 * functions) is false, for the writers to sort or refuse.
 */
function isSortedJson(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'undefined':
      return false;
    case 'object': {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item !== undefined && !isSortedJson(item)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      let previous: string | undefined;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (previous !== undefined && !(previous < key)) return false;
        previous = key;
        const member = (value as Record<string, unknown>)[key];
        if (member !== undefined && !isSortedJson(member)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The reference writer: same output, and a refusal that names the offending path. */
function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw refuse(path, `a finite number, got ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => (item === undefined ? 'null' : write(item, `${path}[${i}]`))).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw refuse(path, `a plain object, got ${proto?.constructor?.name ?? 'an exotic object'}`);
      }
      const entries = Object.keys(value as object)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map(
          (key) =>
            `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], `${path}.${key}`)}`,
        );
      return `{${entries.join(',')}}`;
    }
    default:
      throw refuse(path, `JSON data, got ${typeof value}`);
  }
}

function refuse(path: string, expected: string): VeritermError {
  return new VeritermError('ledger_payload_invalid', `Record payload at ${path}: expected ${expected}`);
}

/** Record format version, part of the hashed bytes so a future format cannot be confused with this one. */
export const RECORD_FORMAT = 1;

/**
 * The bytes a record's `hash` is the SHA-256 of: the canonical JSON of
 * `{ v: 1, id, seq, type, at, storeId, terminalId, prevHash, payload }` (everything except
 * `hash` and `signature`), UTF-8 encoded.
 */
export function canonicalRecordBytes(record: Omit<LedgerRecord, 'hash' | 'signature'>): Buffer {
  return Buffer.from(canonicalRecordText(record), 'utf8');
}

/** As `canonicalRecordBytes`, but `payload` already in canonical JSON text (avoids re-serialising). */
export function canonicalRecordText(
  record: Omit<LedgerRecord, 'hash' | 'signature' | 'payload'> & { payload: unknown },
  payloadJson = canonicalJson(record.payload),
): string {
  // Keys in sorted order by hand: at, id, payload, prevHash, seq, storeId, terminalId, type, v.
  return (
    `{"at":${JSON.stringify(record.at)},"id":${JSON.stringify(record.id)},"payload":${payloadJson},` +
    `"prevHash":${JSON.stringify(record.prevHash)},"seq":${canonicalJson(record.seq)},` +
    `"storeId":${JSON.stringify(record.storeId)},"terminalId":${JSON.stringify(record.terminalId)},` +
    `"type":${JSON.stringify(record.type)},"v":${RECORD_FORMAT}}`
  );
}

/** hex SHA-256 of a record's canonical bytes. */
export function recordHash(record: Omit<LedgerRecord, 'hash' | 'signature'>, payloadJson?: string): string {
  return recordDigest(record, payloadJson).toString('hex');
}

/** SHA-256 of a record's canonical bytes (what is signed). */
export function recordDigest(
  record: Omit<LedgerRecord, 'hash' | 'signature' | 'payload'> & { payload: unknown },
  payloadJson?: string,
): Buffer {
  return sha256(canonicalRecordText(record, payloadJson));
}

// One-shot crypto.hash (Node >= 20.12) skips the Hash object; createHash on older Node 20.
const sha256: (text: string) => Buffer =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'buffer')
    : (text) => nodeCrypto.createHash('sha256').update(text, 'utf8').digest();

/** The prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
