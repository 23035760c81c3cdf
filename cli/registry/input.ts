import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { VeritermError } from '../../terminal/errors.js';
import { parseSplitField, UNIT_STATUSES } from '../../terminal/registry/body-format.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from '../../terminal/registry/types.js';

const text = z.string().min(1);
const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const flag = z
  .union([z.boolean(), z.enum(['0', '1', 'true', 'false', ''])])
  .transform((v) => v === true || v === '1' || v === 'true');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d\d-\d\d$/)
  .optional()
  .or(z.literal('').transform(() => undefined));

export const productInput = z.object({
  key: text,
  name_zh: text,
  name_en: text,
  manufacturer: text,
  spec: optional,
  covered: flag.default(true),
  withdrawn: flag.default(false),
  // Split packs (拆零): `packQuantity:unit`, e.g. `10:strip`; empty or absent: sold whole only.
  split: optional,
});
export const batchInput = z.object({
  product: text,
  number: text,
  production_date: isoDate,
  expiry_date: isoDate,
  recalled: flag.default(false),
  recall_reason: optional,
});
export const unitInput = z.object({
  key: text,
  status: z.enum(UNIT_STATUSES as [string, ...string[]]).default('active'),
  batch: optional,
  sold_store: optional,
  sold_at: optional,
  upstream_checks: z.union([z.number().int().min(0), z.string().regex(/^\d*$/)]).optional(),
});

export function toProduct(row: unknown, where: string): RegistryProduct {
  const r = parse(productInput, row, where);
  const p: RegistryProduct = {
    key: r.key,
    names: { 'zh-CN': r.name_zh, en: r.name_en },
    manufacturer: r.manufacturer,
    covered: r.covered,
  };
  if (r.spec) p.spec = r.spec;
  if (r.withdrawn) p.withdrawn = true;
  if (r.split) {
    try {
      p.split = parseSplitField(r.split);
    } catch (error) {
      throw new VeritermError('bad_input', `${where}: ${(error as Error).message}`);
    }
  }
  return p;
}

export function toBatch(row: unknown, where: string): RegistryBatch {
  const r = parse(batchInput, row, where);
  const b: RegistryBatch = { productKey: r.product, number: r.number, recalled: r.recalled };
  if (r.production_date) b.productionDate = r.production_date;
  if (r.expiry_date) b.expiryDate = r.expiry_date;
  if (r.recall_reason) b.recallReason = r.recall_reason;
  return b;
}

export function toUnit(row: unknown, where: string): RegistryUnit {
  const r = parse(unitInput, row, where);
  const u: RegistryUnit = { key: r.key, status: r.status as RegistryUnit['status'], productKey: '' };
  if (r.batch) u.batchNumber = r.batch;
  if (r.sold_store || r.sold_at) {
    if (!r.sold_store || !r.sold_at || Number.isNaN(Date.parse(r.sold_at))) {
      throw new VeritermError('bad_input', `${where}: sold_store and sold_at (ISO time) go together`);
    }
    u.soldAt = { store: r.sold_store, at: new Date(r.sold_at).toISOString() };
  }
  if (r.upstream_checks !== undefined && r.upstream_checks !== '')
    u.upstreamChecks = Number(r.upstream_checks);
  return u;
}

function parse<T extends z.ZodType>(schema: T, row: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(row);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new VeritermError(
      'bad_input',
      `${where}: field ${issue.path.join('.') || '(row)'}: ${issue.message}`,
    );
  }
  return result.data;
}

/** Splits one CSV record (RFC 4180 quoting; no newlines inside fields). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Rows of a CSV file with a header line, as objects keyed by header name. */
export async function* readCsv(file: string): AsyncGenerator<{ row: Record<string, string>; where: string }> {
  let header: string[] | undefined;
  let n = 0;
  for await (const raw of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    n++;
    const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    const fields = splitCsv(line);
    if (!header) {
      header = fields.map((f) => f.trim());
      continue;
    }
    if (fields.length !== header.length) {
      throw new VeritermError(
        'bad_input',
        `${file}:${n}: ${fields.length} fields, the header has ${header.length}`,
      );
    }
    yield { row: Object.fromEntries(header.map((h, i) => [h, fields[i]!])), where: `${file}:${n}` };
  }
}

/** NDJSON lines: `{"type":"product"|"batch"|"unit", ...}` (and for deltas `"op":"delete"`). */
export async function* readNdjson(
  file: string,
): AsyncGenerator<{ row: Record<string, unknown>; where: string }> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new VeritermError('bad_input', `${file}:${n}: not valid JSON`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new VeritermError('bad_input', `${file}:${n}: expected a JSON object`);
    }
    yield { row: row as Record<string, unknown>, where: `${file}:${n}` };
  }
}
