import type { SqliteDatabase } from '../db/open-database.js';
import {
  parseLine,
  productKeysOfUnit,
  STATUS_CODE,
  serialOf,
  splitField,
  UNIT_STATUSES,
} from './body-format.js';
import { ContentHash } from './content-hash.js';
import { RegistryError } from './errors.js';
import type { RegistryUnit } from './types.js';

export interface ContentTotals {
  hash: string;
  products: number;
  batches: number;
  units: number;
}

/**
 * Replaces the registry content with a snapshot body, inside the caller's transaction.
 * Product and batch refs are assigned in body order; unit rows go in as (pid, serial).
 */
export class SnapshotApplier {
  private readonly hash = new ContentHash();
  private readonly pids = new Map<string, number>();
  private readonly bids = new Map<string, number>();
  private readonly insertProduct;
  private readonly insertBatch;
  private readonly insertUnit;
  private products = 0;
  private batches = 0;
  private units = 0;
  private lineNo = 0;
  private lastProductKey = '';
  private lastProductBytes: Buffer | undefined;
  private lastBatchBytes: Buffer | undefined;
  private readonly tabs = new Int32Array(5);
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private lastPid = 0;
  private lastBatchNumber = '';
  private lastBatchPid = 0;
  private lastBid = 0;

  constructor(db: SqliteDatabase) {
    db.exec('DELETE FROM registry_units; DELETE FROM registry_batches; DELETE FROM registry_products;');
    this.insertProduct = db.prepare(
      'INSERT INTO registry_products (pid, key, name_zh, name_en, manufacturer, spec, covered, withdrawn, split) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertBatch = db.prepare(
      'INSERT INTO registry_batches (bid, pid, number, production_date, expiry_date, recalled, recall_reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertUnit = db.prepare(
      'INSERT INTO registry_units (pid, serial, status, bid, sold_store, sold_at, checks) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  private fail(message: string, cause?: unknown): never {
    throw new RegistryError('malformed', `body line ${this.lineNo}: ${message}`, { cause });
  }

  /** Fast path for unit lines (the ten million): split once, no intermediate objects. */
  private unit(line: string): void {
    const f = line.split('\t');
    const key = f[1];
    const status = STATUS_CODE[f[2]!];
    const at = f[5]!;
    if (f.length !== 7 || key === undefined || status === undefined) {
      this.slow(line);
      return;
    }
    let batchNumber = f[3]!;
    let store = f[4]!;
    if (at !== '' || f[6] !== '' || line.includes('\\')) {
      // Rare fields: validate them the thorough way.
      let unit: RegistryUnit;
      try {
        const record = parseLine(line);
        if (record.type !== 'U') throw new Error('not a unit');
        unit = record.unit;
      } catch (error) {
        this.fail((error as Error).message, error);
      }
      batchNumber = unit.batchNumber ?? '';
      store = unit.soldAt?.store ?? '';
    }
    // Units arrive grouped by product (sorted body): reuse the previous line's product.
    let pid: number | undefined;
    let productKey = this.lastProductKey;
    if (
      productKey !== '' &&
      key.startsWith(productKey) &&
      (key.length === 20) === (productKey.length === 7)
    ) {
      pid = this.lastPid;
    } else {
      for (const candidate of productKeysOfUnit(key)) {
        pid = this.pids.get(candidate);
        if (pid !== undefined) {
          productKey = candidate;
          break;
        }
      }
      if (pid !== undefined) {
        this.lastProductKey = productKey;
        this.lastProductBytes = Buffer.from(productKey, 'latin1');
        this.lastPid = pid;
      }
    }
    let bid: number | null = null;
    if (batchNumber !== '') {
      if (batchNumber === this.lastBatchNumber && pid === this.lastBatchPid) bid = this.lastBid;
      else {
        const found = this.bids.get(`${pid}\t${batchNumber}`);
        if (found === undefined) this.fail(`unit ${key}: batch ${batchNumber} is not in the body before it`);
        bid = found;
        this.lastBatchNumber = batchNumber;
        this.lastBatchPid = pid!;
        this.lastBid = found;
      }
    }
    try {
      this.insertUnit.run(
        pid,
        serialOf(key, productKey),
        status,
        bid,
        store === '' ? null : store,
        at === '' ? null : at,
        f[6] === '' ? null : Number(f[6]),
      );
    } catch (error) {
      this.fail(`unit ${key} appears twice`, error);
    }
    this.hash.add(line);
    this.units++;
  }

  private slow(line: string): void {
    let record: ReturnType<typeof parseLine>;
    try {
      record = parseLine(line);
    } catch (error) {
      this.fail((error as Error).message, error);
    }
    switch (record.type) {
      case 'P': {
        const p = record.product;
        if (this.pids.has(p.key)) this.fail(`product ${p.key} appears twice`);
        const pid = this.pids.size + 1;
        this.insertProduct.run(
          pid,
          p.key,
          p.names['zh-CN'],
          p.names.en,
          p.manufacturer,
          p.spec ?? null,
          p.covered ? 1 : 0,
          p.withdrawn ? 1 : 0,
          p.split ? splitField(p.split) : null,
        );
        this.pids.set(p.key, pid);
        this.products++;
        break;
      }
      case 'B': {
        const b = record.batch;
        const pid = this.pids.get(b.productKey);
        if (pid === undefined)
          this.fail(`batch ${b.number}: product ${b.productKey} is not in the body before it`);
        const id = `${pid}\t${b.number}`;
        if (this.bids.has(id)) this.fail(`batch ${b.number} of ${b.productKey} appears twice`);
        const bid = this.bids.size + 1;
        this.insertBatch.run(
          bid,
          pid,
          b.number,
          b.productionDate ?? null,
          b.expiryDate ?? null,
          b.recalled ? 1 : 0,
          b.recallReason ?? null,
        );
        this.bids.set(id, bid);
        this.batches++;
        break;
      }
      case 'U':
        this.fail(`unit ${record.unit.key}: unexpected record shape`);
        break;
      default:
        this.fail(`${record.type} records belong in deltas, not snapshots`);
    }
    this.hash.add(line);
  }

  private text(line: string): void {
    // A raw CR would survive split/unescape but not re-escaping: not canonical.
    if (line.includes('\r')) this.fail('raw CR in a record (escape it as \\r)');
    if (line.charCodeAt(0) === 85 /* U */) this.unit(line);
    else this.slow(line);
  }

  /**
   * Applies a chunk of whole body lines (UTF-8, each ending in LF). Plain unit lines of the
   * current product (the ten million) are parsed straight from the bytes; anything else goes
   * through the string path. Both hash the same bytes, so the content hash does not care.
   */
  chunk(buf: Buffer): void {
    let s = 0;
    const n = buf.length;
    while (s < n) {
      let e = buf.indexOf(10, s);
      if (e < 0) e = n;
      this.lineNo++;
      if (!(buf[s] === 85 && buf[s + 1] === 9 && this.fastUnit(buf, s, e))) {
        let line: string;
        try {
          line = this.decoder.decode(buf.subarray(s, e));
        } catch (error) {
          this.fail('not valid UTF-8', error);
        }
        this.text(line);
      }
      s = e + 1;
    }
  }

  /** The byte fast path; returns false (having changed nothing) when the line needs the string path. */
  private fastUnit(buf: Buffer, s: number, e: number): boolean {
    const tabs = this.tabs;
    let nt = 0;
    for (let i = s + 2; i < e; i++) {
      const c = buf[i]!;
      if (c === 9) {
        if (nt === 5) return false;
        tabs[nt++] = i;
      } else if (c >= 0x80 || c === 92 || c === 13) return false;
    }
    // Fields: key, status, batch, then store, soldAt and checks which must be empty here.
    if (nt !== 5 || tabs[3] !== tabs[2]! + 1 || tabs[4] !== tabs[3]! + 1 || e !== tabs[4]! + 1) return false;
    const k0 = s + 2;
    const k1 = tabs[0]!;
    const status = statusOf(buf, k1 + 1, tabs[1]!);
    const product = this.lastProductBytes;
    if (status < 0 || !product || !startsWith(buf, k0, k1, product)) return false;
    let serial: number | Buffer;
    if (product.length === 7) {
      if (k1 - k0 !== 20) return false;
      let v = 0;
      for (let i = k0 + 7; i < k1; i++) {
        const d = buf[i]! - 48;
        if (d < 0 || d > 9) return false;
        v = v * 10 + d;
      }
      serial = v;
    } else {
      const a = k0 + 18;
      if (k1 - a < 1 || k1 - a > 20 || k1 - k0 === 20 || buf[k0 + 16] !== 50 || buf[k0 + 17] !== 49)
        return false;
      let numeric = buf[a] !== 48 || k1 - a === 1;
      let v = 0;
      for (let i = a; i < k1; i++) {
        const c = buf[i]!;
        if (GS1_CHAR[c] !== 1) return false;
        if (c < 48 || c > 57) numeric = false;
        else v = v * 10 + (c - 48);
      }
      serial = numeric && k1 - a < 16 ? v : buf.subarray(a, k1);
    }
    const pid = this.lastPid;
    let bid: number | null = null;
    const b0 = tabs[1]! + 1;
    const b1 = tabs[2]!;
    if (b1 > b0) {
      const last = this.lastBatchBytes;
      if (last && pid === this.lastBatchPid && b1 - b0 === last.length && startsWith(buf, b0, b1, last))
        bid = this.lastBid;
      else {
        const found = this.bids.get(`${pid}\t${buf.toString('latin1', b0, b1)}`);
        if (found === undefined) return false;
        bid = found;
        this.lastBatchBytes = Buffer.from(buf.subarray(b0, b1));
        this.lastBatchPid = pid;
        this.lastBid = found;
      }
    }
    try {
      this.insertUnit.run(pid, serial, status, bid, null, null, null);
    } catch (error) {
      this.fail(`unit ${buf.toString('latin1', k0, k1)} appears twice`, error);
    }
    this.hash.addBytes(buf, s, e);
    this.units++;
    return true;
  }

  totals(): ContentTotals {
    return { hash: this.hash.digest(), products: this.products, batches: this.batches, units: this.units };
  }
}

const STATUS_BYTES = UNIT_STATUSES.map((status) => Buffer.from(status, 'latin1'));

function startsWith(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

function statusOf(buf: Buffer, start: number, end: number): number {
  for (let i = 0; i < STATUS_BYTES.length; i++) {
    const ref = STATUS_BYTES[i]!;
    if (ref.length === end - start && startsWith(buf, start, end, ref)) return i;
  }
  return -1;
}

/** GS1 character set 82 (GS1 General Specifications 7.11), as a byte lookup table. */
const GS1_CHAR = new Uint8Array(128);
for (const c of '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz') {
  GS1_CHAR[c.charCodeAt(0)] = 1;
}
