import type { SqliteDatabase } from '../db/open-database.js';
import { parseLine, productKeysOfUnit, STATUS_CODE, serialOf } from './body-format.js';
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

  constructor(db: SqliteDatabase) {
    db.exec('DELETE FROM registry_units; DELETE FROM registry_batches; DELETE FROM registry_products;');
    this.insertProduct = db.prepare(
      'INSERT INTO registry_products (pid, key, name_zh, name_en, manufacturer, spec, covered, withdrawn) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
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
    let pid: number | undefined;
    let productKey = '';
    for (const candidate of productKeysOfUnit(key)) {
      pid = this.pids.get(candidate);
      if (pid !== undefined) {
        productKey = candidate;
        break;
      }
    }
    if (pid === undefined) {
      if (productKeysOfUnit(key).length === 0) this.slow(line);
      this.fail(`unit ${key}: its product is not in the body before it`);
    }
    let bid: number | null = null;
    if (batchNumber !== '') {
      const found = this.bids.get(`${pid}\t${batchNumber}`);
      if (found === undefined) this.fail(`unit ${key}: batch ${batchNumber} is not in the body before it`);
      bid = found;
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

  line(line: string): void {
    this.lineNo++;
    // A raw CR would survive split/unescape but not re-escaping: not canonical.
    if (line.includes('\r')) this.fail('raw CR in a record (escape it as \\r)');
    if (line.charCodeAt(0) === 85 /* U */) this.unit(line);
    else this.slow(line);
  }

  totals(): ContentTotals {
    return { hash: this.hash.digest(), products: this.products, batches: this.batches, units: this.units };
  }
}
