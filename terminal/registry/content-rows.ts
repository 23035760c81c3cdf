import { parseSplitField } from './body-format.js';
import type { RegistryBatch, RegistryProduct } from './types.js';

type Row = Record<string, unknown>;

/** A `registry_products` row as the product it stores (what a content line and a snapshot carry). */
export function productFromRow(row: Row): RegistryProduct {
  const p: RegistryProduct = {
    key: row.key as string,
    names: { 'zh-CN': row.name_zh as string, en: row.name_en as string },
    manufacturer: row.manufacturer as string,
    covered: row.covered === 1,
  };
  if (row.spec !== null) p.spec = row.spec as string;
  if (row.withdrawn === 1) p.withdrawn = true;
  if (typeof row.split === 'string') p.split = parseSplitField(row.split);
  return p;
}

/** A `registry_batches` row as the batch it stores, under its product's key. */
export function batchFromRow(row: Row, productKey: string): RegistryBatch {
  const b: RegistryBatch = { productKey, number: row.number as string, recalled: row.recalled === 1 };
  if (row.production_date !== null) b.productionDate = row.production_date as string;
  if (row.expiry_date !== null) b.expiryDate = row.expiry_date as string;
  if (row.recall_reason !== null) b.recallReason = row.recall_reason as string;
  return b;
}
