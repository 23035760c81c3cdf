import type { SqliteDatabase } from '../db/open-database.js';
import type { ContentTotals } from './apply-snapshot.js';
import {
  batchLine,
  parseLine,
  productKeysOfUnit,
  productLine,
  STATUS_CODE,
  serialOf,
  splitField,
  UNIT_STATUSES,
  unitLine,
} from './body-format.js';
import { ContentHash } from './content-hash.js';
import { batchFromRow, productFromRow } from './content-rows.js';
import { RegistryError } from './errors.js';
import type { RegistryUnit } from './types.js';

type Row = Record<string, unknown>;

/**
 * Applies a delta body onto the current content inside the caller's transaction. Every record
 * a delta replaces or deletes is read first, so the content hash of the *result* is the stored
 * hash minus the old lines plus the new ones (see content-hash.ts).
 */
export class DeltaApplier {
  private readonly hash: ContentHash;
  private products: number;
  private batches: number;
  private units: number;
  private lineNo = 0;
  private readonly deletedBatches: { pid: number; bid: number; what: string }[] = [];
  private readonly deletedProducts: { pid: number; key: string }[] = [];
  private readonly s;
  // Per-apply caches: a 100,000-change delta touches few products and batches many times.
  private readonly productCache = new Map<string, Row>();
  private readonly bids = new Map<string, number>();
  private readonly batchNumbers = new Map<number, string>();

  constructor(db: SqliteDatabase, base: ContentTotals) {
    this.hash = ContentHash.from(base.hash);
    this.products = base.products;
    this.batches = base.batches;
    this.units = base.units;
    this.s = {
      productByKey: db.prepare('SELECT * FROM registry_products WHERE key = ?'),
      insertProduct: db.prepare(
        'INSERT INTO registry_products (key, name_zh, name_en, manufacturer, spec, covered, withdrawn, split) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateProduct: db.prepare(
        'UPDATE registry_products SET name_zh = ?, name_en = ?, manufacturer = ?, spec = ?, covered = ?, withdrawn = ?, split = ? WHERE pid = ?',
      ),
      deleteProduct: db.prepare('DELETE FROM registry_products WHERE pid = ?'),
      batchByNumber: db.prepare('SELECT * FROM registry_batches WHERE pid = ? AND number = ?'),
      batchNumber: db.prepare('SELECT number FROM registry_batches WHERE bid = ?').pluck(),
      insertBatch: db.prepare(
        'INSERT INTO registry_batches (pid, number, production_date, expiry_date, recalled, recall_reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      updateBatch: db.prepare(
        'UPDATE registry_batches SET production_date = ?, expiry_date = ?, recalled = ?, recall_reason = ? WHERE bid = ?',
      ),
      deleteBatch: db.prepare('DELETE FROM registry_batches WHERE bid = ?'),
      batchUsed: db.prepare('SELECT 1 FROM registry_units WHERE pid = ? AND bid = ? LIMIT 1').pluck(),
      productUsed: db
        .prepare(
          'SELECT 1 FROM registry_units WHERE pid = ?1 UNION ALL SELECT 1 FROM registry_batches WHERE pid = ?1 LIMIT 1',
        )
        .pluck(),
      unit: db.prepare('SELECT * FROM registry_units WHERE pid = ? AND serial = ?'),
      insertUnit: db.prepare(
        'INSERT INTO registry_units (status, bid, sold_store, sold_at, checks, pid, serial) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      updateUnit: db.prepare(
        'UPDATE registry_units SET status = ?, bid = ?, sold_store = ?, sold_at = ?, checks = ? WHERE pid = ? AND serial = ?',
      ),
      deleteUnit: db.prepare('DELETE FROM registry_units WHERE pid = ? AND serial = ?'),
    };
  }

  private fail(message: string, cause?: unknown): never {
    throw new RegistryError('malformed', `delta line ${this.lineNo}: ${message}`, { cause });
  }

  private productRow(key: string): Row | undefined {
    let row = this.productCache.get(key);
    if (!row) {
      row = this.s.productByKey.get(key) as Row | undefined;
      if (row) this.productCache.set(key, row);
    }
    return row;
  }

  private unitOf(row: Row, key: string, productKey: string): RegistryUnit {
    const u: RegistryUnit = { key, status: UNIT_STATUSES[row.status as number]!, productKey };
    if (row.bid !== null) {
      const bid = row.bid as number;
      let number = this.batchNumbers.get(bid);
      if (number === undefined) {
        number = this.s.batchNumber.get(bid) as string;
        this.batchNumbers.set(bid, number);
      }
      u.batchNumber = number;
    }
    if (row.sold_store !== null) u.soldAt = { store: row.sold_store as string, at: row.sold_at as string };
    if (row.checks !== null) u.upstreamChecks = row.checks as number;
    return u;
  }

  /** The unit's product (pid, key): the first candidate product key that exists. */
  private unitProduct(key: string): { pid: number; productKey: string } {
    for (const productKey of productKeysOfUnit(key)) {
      const row = this.productRow(productKey);
      if (row) return { pid: row.pid as number, productKey };
    }
    this.fail(`unit ${key}: its product is not in the registry`);
  }

  line(line: string): void {
    this.lineNo++;
    if (line.includes('\r')) this.fail('raw CR in a record (escape it as \\r)');
    let record: ReturnType<typeof parseLine>;
    try {
      record = parseLine(line);
    } catch (error) {
      this.fail((error as Error).message, error);
    }
    switch (record.type) {
      case 'P': {
        const p = record.product;
        const old = this.productRow(p.key);
        const values = [
          p.names['zh-CN'],
          p.names.en,
          p.manufacturer,
          p.spec ?? null,
          p.covered ? 1 : 0,
          p.withdrawn ? 1 : 0,
          p.split ? splitField(p.split) : null,
        ];
        if (old) {
          this.hash.remove(productLine(productFromRow(old)));
          this.s.updateProduct.run(...values, old.pid);
        } else {
          this.s.insertProduct.run(p.key, ...values);
          this.products++;
        }
        this.productCache.delete(p.key);
        this.hash.add(line);
        return;
      }
      case 'B': {
        const b = record.batch;
        const product = this.productRow(b.productKey);
        if (!product) this.fail(`batch ${b.number}: product ${b.productKey} is not in the registry`);
        const old = this.s.batchByNumber.get(product.pid, b.number) as Row | undefined;
        const values = [
          b.productionDate ?? null,
          b.expiryDate ?? null,
          b.recalled ? 1 : 0,
          b.recallReason ?? null,
        ];
        if (old) {
          this.hash.remove(batchLine(batchFromRow(old, b.productKey)));
          this.s.updateBatch.run(...values, old.bid);
        } else {
          this.s.insertBatch.run(product.pid, b.number, ...values);
          this.batches++;
        }
        this.hash.add(line);
        return;
      }
      case 'U': {
        const u = record.unit;
        const { pid, productKey } = this.unitProduct(u.key);
        const serial = serialOf(u.key, productKey);
        let bid: number | null = null;
        if (u.batchNumber !== undefined) {
          const id = `${pid}\t${u.batchNumber}`;
          let found = this.bids.get(id);
          if (found === undefined) {
            const batch = this.s.batchByNumber.get(pid, u.batchNumber) as Row | undefined;
            if (!batch) this.fail(`unit ${u.key}: batch ${u.batchNumber} is not in the registry`);
            found = batch.bid as number;
            this.bids.set(id, found);
          }
          bid = found;
        }
        const old = this.s.unit.get(pid, serial) as Row | undefined;
        if (old) this.hash.remove(unitLine(this.unitOf(old, u.key, productKey)));
        else this.units++;
        (old ? this.s.updateUnit : this.s.insertUnit).run(
          STATUS_CODE[u.status]!,
          bid,
          u.soldAt?.store ?? null,
          u.soldAt?.at ?? null,
          u.upstreamChecks ?? null,
          pid,
          serial,
        );
        this.hash.add(line);
        return;
      }
      case '-U': {
        const { pid, productKey } = this.unitProduct(record.key);
        const serial = serialOf(record.key, productKey);
        const old = this.s.unit.get(pid, serial) as Row | undefined;
        if (!old) this.fail(`delete of unit ${record.key}, which is not in the registry`);
        this.hash.remove(unitLine(this.unitOf(old, record.key, productKey)));
        this.s.deleteUnit.run(pid, serial);
        this.units--;
        return;
      }
      case '-B': {
        const product = this.productRow(record.productKey);
        const old = product && (this.s.batchByNumber.get(product.pid, record.number) as Row | undefined);
        if (!product || !old)
          this.fail(`delete of batch ${record.number} of ${record.productKey}, which is not in the registry`);
        this.hash.remove(batchLine(batchFromRow(old, record.productKey)));
        this.deletedBatches.push({
          pid: product.pid as number,
          bid: old.bid as number,
          what: `${record.productKey} ${record.number}`,
        });
        this.batches--;
        return;
      }
      case '-P': {
        const old = this.productRow(record.key);
        if (!old) this.fail(`delete of product ${record.key}, which is not in the registry`);
        this.hash.remove(productLine(productFromRow(old)));
        this.deletedProducts.push({ pid: old.pid as number, key: record.key });
        this.products--;
        return;
      }
    }
  }

  /** Deletes batches and products last: nothing may still refer to them. */
  finish(): ContentTotals {
    for (const b of this.deletedBatches) {
      if (this.s.batchUsed.get(b.pid, b.bid))
        this.fail(`batch ${b.what} is deleted but units still refer to it`);
      this.s.deleteBatch.run(b.bid);
    }
    for (const p of this.deletedProducts) {
      if (this.s.productUsed.get(p.pid))
        this.fail(`product ${p.key} is deleted but units or batches still refer to it`);
      this.s.deleteProduct.run(p.pid);
    }
    return { hash: this.hash.digest(), products: this.products, batches: this.batches, units: this.units };
  }
}
