import { gs1CheckDigit } from '../codes/check-digit.js';
import { seededRandom as rng } from '../seeded-random.js';
import type { SigningKey } from './keys.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit, UnitStatus } from './types.js';
import { type ReleaseFiles, type ReleaseHeader, SnapshotWriter, type WriterOptions } from './writer.js';

export interface SynthOptions {
  units: number;
  /** @default units / 20,000, at least 12, at most 5,000 */
  products?: number;
  /** PRNG seed: same seed, same registry. @default 1 */
  seed?: number;
}

const ZH = [
  '感冒灵颗粒',
  '阿莫西林胶囊',
  '婴幼儿配方奶粉',
  '纯牛奶',
  '特级初榨橄榄油',
  '西湖龙井茶',
  '维生素C咀嚼片',
  '布洛芬缓释胶囊',
  '蜂蜜',
  '五常大米',
  '茅台酒',
  '葡萄糖酸钙口服液',
];
const EN = [
  'Cold Relief Granules',
  'Amoxicillin Capsules',
  'Infant Formula Milk Powder',
  'Whole Milk',
  'Extra Virgin Olive Oil',
  'West Lake Longjing Tea',
  'Vitamin C Chewable Tablets',
  'Ibuprofen SR Capsules',
  'Honey',
  'Wuchang Rice',
  'Moutai Liquor',
  'Calcium Gluconate Oral Solution',
];
const SPEC = [
  '10 g × 9 袋',
  '0.25 g × 24 粒',
  '900 g',
  '250 mL × 12',
  '500 mL',
  '250 g',
  '60 片',
  '0.3 g × 20 粒',
  '500 g',
  '5 kg',
  '500 mL 53%vol',
  '10 mL × 12 支',
];
const MAKERS = [
  '华润三九医药股份有限公司',
  '石药集团欧意药业有限公司',
  '内蒙古伊利实业集团股份有限公司',
  '杭州西湖龙井茶业有限公司',
  '贵州茅台酒股份有限公司',
  '哈药集团制药总厂',
];
const STORES = ['S0001', 'S0002', 'S0017', 'S0042', 'S0108'];

interface SynthProduct {
  product: RegistryProduct;
  batches: RegistryBatch[];
  units: number;
  /** cn20, gs1 with numeric serials, or gs1 with alphanumeric serials. */
  style: 'cn20' | 'gs1n' | 'gs1a';
}

/** The deterministic plan: products and batches (small), unit counts per product. */
export function synthPlan(options: SynthOptions): SynthProduct[] {
  const random = rng(options.seed ?? 1);
  const n = options.products ?? Math.min(5000, Math.max(12, Math.round(options.units / 20_000)));
  const plan: SynthProduct[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    let key: string;
    if (kind === 0) key = String(6_900_000 + i * 7 + 1).padStart(7, '0');
    else {
      const body = `069${String(1_000_000_000 + i * 13).slice(0, 10)}`;
      key = `01${body}${gs1CheckDigit(body)}`;
    }
    const t = i % ZH.length;
    const product: RegistryProduct = {
      key,
      names: { 'zh-CN': `${ZH[t]} ${i + 1}号`, en: `${EN[t]} No. ${i + 1}` },
      manufacturer: MAKERS[i % MAKERS.length]!,
      spec: SPEC[t]!,
      // A few fixed cases so that even a small registry has every kind of record.
      covered: random() > 0.02 && i !== 10,
    };
    if (random() < 0.01 || i === 7) product.withdrawn = true;
    plan.push({ product, batches: [], units: 0, style: kind === 0 ? 'cn20' : kind === 1 ? 'gs1n' : 'gs1a' });
  }
  plan.sort((a, b) => (a.product.key < b.product.key ? -1 : 1));
  const covered = plan.filter((p) => p.product.covered);
  for (let u = 0; u < options.units; u++) covered[u % covered.length]!.units++;
  plan.forEach((p, i) => {
    const count = Math.max(1, Math.min(40, Math.ceil(p.units / 5000)));
    for (let b = 0; b < count; b++) {
      const year = 2023 + Math.floor(random() * 4);
      const month = 1 + Math.floor(random() * 12);
      const produced = `${year}-${String(month).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
      const expired = random() < 0.03 || (i === 5 && b === 0);
      const batch: RegistryBatch = {
        productKey: p.product.key,
        number: `${String(year).slice(2)}${String(month).padStart(2, '0')}${String(b + 1).padStart(3, '0')}`,
        productionDate: produced,
        expiryDate: expired ? '2025-06-30' : `${year + 3}-${produced.slice(5)}`,
        recalled: random() < 0.02 || (i === 4 && b === 0),
      };
      if (batch.recalled) batch.recallReason = '质量抽检不合格 / failed quality sampling';
      p.batches.push(batch);
    }
    p.batches.sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
  });
  return plan;
}

const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function alnum(n: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    s = ALNUM[n % 34]! + s;
    n = Math.floor(n / 34);
  }
  return s;
}

/** Units of one product in ascending key order. */
export function* synthUnits(p: SynthProduct, seed = 1): Generator<RegistryUnit> {
  const random = rng(seed ^ p.product.key.length ^ Number.parseInt(p.product.key.slice(-6), 10));
  const productKey = p.product.key;
  const nb = p.batches.length;
  for (let i = 0; i < p.units; i++) {
    let key: string;
    const serial = 1 + i * 3 + Math.floor(random() * 3);
    if (p.style === 'cn20') {
      key = `${productKey}${String(serial).padStart(9, '0')}${String(Math.floor(random() * 10_000)).padStart(4, '0')}`;
    } else if (p.style === 'gs1n') key = `${productKey}21${1_000_000_000 + serial}`;
    else key = `${productKey}21A${alnum(serial, 7)}`;
    const batch = p.batches[Math.floor((i * nb) / p.units)]!;
    const r = random();
    let status: UnitStatus = 'active';
    if (p.product.withdrawn) status = 'withdrawn';
    else if (batch.recalled) status = 'recalled';
    else if (r < 0.06) status = 'sold';
    else if (r < 0.09) status = 'received';
    else if (r < 0.092) status = 'stolen';
    else if (r < 0.094) status = 'destroyed';
    else if (r < 0.097) status = 'locked';
    const unit: RegistryUnit = { key, status, productKey, batchNumber: batch.number };
    if (status === 'sold') {
      const day = 1 + Math.floor(random() * 28);
      unit.soldAt = {
        store: STORES[i % STORES.length]!,
        at: `2026-10-${String(day).padStart(2, '0')}T0${Math.floor(random() * 10)}:15:00.000Z`,
      };
    }
    if (random() < 0.05) unit.upstreamChecks = 1 + Math.floor(random() * 5);
    yield unit;
  }
}

/** Every unit of the plan in ascending key order (products are sorted, serials ascend). */
export function* synthAllUnits(plan: SynthProduct[], seed = 1): Generator<RegistryUnit> {
  for (const p of plan) yield* synthUnits(p, seed);
}

/**
 * Writes a realistic signed snapshot of `options.units` units: products with zh-CN and en names
 * (a third cn20, two thirds GS1 with valid check digits, numeric and alphanumeric serials),
 * batches (some expired, some recalled), units active / received / sold (with store and time) /
 * stolen / destroyed / locked, a few uncovered and withdrawn products. Streams: flat memory.
 */
export async function synthesize(
  options: SynthOptions & ReleaseHeader,
  signingKeys: readonly SigningKey[],
  outFile: string,
  writerOptions: Omit<WriterOptions, 'signingKeys'> = {},
): Promise<ReleaseFiles> {
  const plan = synthPlan(options);
  const writer = new SnapshotWriter(outFile, options, { signingKeys, ...writerOptions });
  for (const p of plan) await writer.product(p.product);
  for (const p of plan) for (const b of p.batches) await writer.batch(b);
  for (const u of synthAllUnits(plan, options.seed)) await writer.unit(u);
  return writer.finish();
}
