import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gs1CheckDigit } from '../codes/check-digit.js';
import type { VerdictKind } from '../verify/types.js';
import { buildSnapshot } from './build.js';
import { importRelease } from './import.js';
import { generateSigningKey, readSigningKey, type SigningKey, writeSigningKey } from './keys.js';
import { createRoot, parseRoot, type RootMetadata } from './root.js';
import { RegistryStore } from './store.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit, UnitStatus } from './types.js';

/** One demo code and the verdict the terminal should give for it. */
export interface DemoCode {
  /** Canonical key (terminal/codes/types.ts). */
  key: string;
  /** What a scanner sends (AIM prefix + data; GS1 serial last so no GS is needed). */
  scan: string;
  expect: VerdictKind;
  /** Machine reason the verdict should carry, where one applies. */
  reason: string;
  note: string;
}

export interface DemoRegistry {
  dir: string;
  scope: string;
  rootFile: string;
  manifestFile: string;
  root: RootMetadata;
  codes: DemoCode[];
}

function gtin(body13: string): string {
  return body13 + gs1CheckDigit(body13);
}

/**
 * Version of the demo snapshot. Bump it whenever the demo content changes, so that a demo
 * database from an older checkout takes the new content instead of refusing it as
 * `version_conflict`.
 */
export const DEMO_VERSION = 4;

/** Product keys used by the demo. */
export const DEMO_PRODUCTS = {
  coldRelief: '6901234',
  formula: `01${gtin('0690123456789')}`,
  withdrawnTea: '6907777',
  uncoveredOil: `01${gtin('0400638133393')}`,
  /** Sold in parts at checkout (拆零): a box of 10 strips. */
  amoxicillin: '6905555',
} as const;

const P = DEMO_PRODUCTS;
const cn = (serial9: string, check4: string) => `${P.coldRelief}${serial9}${check4}`;
const gs = (serial: string) => `${P.formula}21${serial}`;

const products: RegistryProduct[] = [
  {
    key: P.coldRelief,
    names: { 'zh-CN': '999感冒灵颗粒', en: '999 Cold Relief Granules' },
    manufacturer: '华润三九医药股份有限公司',
    spec: '10 g × 9 袋',
    covered: true,
  },
  {
    key: P.formula,
    names: { 'zh-CN': '婴幼儿配方奶粉 1段', en: 'Infant Formula Milk Powder, Stage 1' },
    manufacturer: '内蒙古伊利实业集团股份有限公司',
    spec: '900 g',
    covered: true,
  },
  {
    key: P.withdrawnTea,
    names: { 'zh-CN': '西湖龙井茶（停售）', en: 'West Lake Longjing Tea (withdrawn)' },
    manufacturer: '杭州西湖龙井茶业有限公司',
    spec: '250 g',
    covered: true,
    withdrawn: true,
  },
  {
    key: P.amoxicillin,
    names: { 'zh-CN': '阿莫西林胶囊', en: 'Amoxicillin Capsules' },
    manufacturer: '华北制药股份有限公司',
    spec: '0.25 g × 6 粒 × 10 板',
    covered: true,
    split: { packQuantity: 10, unit: 'strip' },
  },
  {
    key: P.uncoveredOil,
    names: { 'zh-CN': '特级初榨橄榄油', en: 'Extra Virgin Olive Oil' },
    manufacturer: 'Olivar S.A.',
    spec: '500 mL',
    covered: false,
  },
];

const batches: RegistryBatch[] = [
  {
    productKey: P.coldRelief,
    number: 'B2501',
    productionDate: '2025-01-10',
    expiryDate: '2099-01-09',
    recalled: false,
  },
  {
    productKey: P.coldRelief,
    number: 'B2302R',
    productionDate: '2023-02-01',
    expiryDate: '2099-01-31',
    recalled: true,
    recallReason: '含量测定不合格 / assay out of specification',
  },
  {
    productKey: P.coldRelief,
    number: 'B2101',
    productionDate: '2021-01-05',
    expiryDate: '2024-01-04',
    recalled: false,
  },
  {
    productKey: P.formula,
    number: 'L2506',
    productionDate: '2025-06-01',
    expiryDate: '2099-05-31',
    recalled: false,
  },
  {
    productKey: P.amoxicillin,
    number: 'A2505',
    productionDate: '2025-05-01',
    expiryDate: '2099-04-30',
    recalled: false,
  },
  {
    productKey: P.withdrawnTea,
    number: 'T2404',
    productionDate: '2024-04-01',
    expiryDate: '2099-03-31',
    recalled: false,
  },
];

interface Row {
  key: string;
  status: UnitStatus;
  batch?: string;
  soldAt?: RegistryUnit['soldAt'];
  checks?: number;
  expect: VerdictKind;
  reason: string;
  note: string;
}

const rows: Row[] = [
  {
    key: cn('000000001', '2345'),
    status: 'active',
    batch: 'B2501',
    expect: 'genuine',
    reason: 'active',
    note: 'cn20, active, in date',
  },
  {
    key: gs('1000000001'),
    status: 'active',
    batch: 'L2506',
    expect: 'genuine',
    reason: 'active',
    note: 'GS1 DataMatrix, active',
  },
  {
    key: cn('000000002', '7781'),
    status: 'received',
    batch: 'B2501',
    checks: 3,
    expect: 'genuine',
    reason: 'received_here',
    note: 'received at this store; upstream saw 3 checks',
  },
  {
    key: gs('1000000002'),
    status: 'sold',
    batch: 'L2506',
    soldAt: { store: 'S0042 上海徐汇店', at: '2026-11-20T09:30:00.000Z' },
    expect: 'already_sold',
    reason: 'sold_upstream',
    note: 'sold at store S0042 on 2026-11-20 09:30 UTC',
  },
  {
    key: `${P.amoxicillin}0000000011234`,
    status: 'active',
    batch: 'A2505',
    expect: 'genuine',
    reason: 'active',
    note: 'split pack of 10 strips: checkout sells it in parts (拆零)',
  },
  {
    key: cn('000000003', '0452'),
    status: 'active',
    batch: 'B2302R',
    expect: 'recalled',
    reason: 'batch_recalled',
    note: 'unit active, but its batch B2302R is recalled',
  },
  {
    key: `${P.withdrawnTea}0000000010001`,
    status: 'withdrawn',
    batch: 'T2404',
    expect: 'withdrawn',
    reason: 'product_withdrawn',
    note: 'product withdrawn from sale',
  },
  {
    key: cn('000000004', '3318'),
    status: 'stolen',
    batch: 'B2501',
    expect: 'stolen',
    reason: 'status_stolen',
    note: 'reported stolen',
  },
  {
    key: gs('1000000003'),
    status: 'destroyed',
    batch: 'L2506',
    expect: 'destroyed',
    reason: 'status_destroyed',
    note: 'destroyed',
  },
  {
    key: cn('000000005', '9120'),
    status: 'locked',
    batch: 'B2501',
    expect: 'locked',
    reason: 'status_locked',
    note: 'locked by the authority',
  },
  {
    key: cn('000000006', '5567'),
    status: 'active',
    batch: 'B2101',
    expect: 'expired',
    reason: 'past_expiry',
    note: 'batch B2101 expired 2024-01-04',
  },
];

/**
 * Unit codes of the demo delivery note (terminal/demo/demo-delivery.ts), registered so that a clean
 * check-in shows no problem: the first 14 in date (batch B2501), the last of the recalled batch B2302R.
 */
export const DEMO_DELIVERY_UNITS: readonly string[] = Array.from({ length: 15 }, (_, i) =>
  cn(`2000000${String(i + 1).padStart(2, '0')}`, '6600'),
);

/** Codes that are not registry rows of their own; `scan` when the scanner sends more than the key. */
const extra: (Omit<DemoCode, 'scan'> & { scan?: string })[] = [
  {
    key: cn('999999999', '0000'),
    expect: 'unknown',
    reason: 'not_in_registry',
    note: 'covered product, code not in the registry: possible counterfeit',
  },
  {
    key: `${P.uncoveredOil}21OIL0001`,
    expect: 'unverifiable',
    reason: 'product_not_covered',
    note: 'product the registry does not cover',
  },
  {
    key: P.formula,
    expect: 'unverifiable',
    reason: 'no_serial',
    note: 'EAN/GTIN only (no serial): product details, never genuine',
  },
  {
    // The genuine formula unit's serial printed with another batch and use-by date: a clone.
    key: gs('1000000001'),
    scan: `]d2${P.formula}1728063010L2507\u001d211000000001`,
    expect: 'unknown',
    reason: 'batch_mismatch',
    note: 'registered serial, but batch L2507 and use-by 2028-06-30 on the pack (registry: L2506, 2099-05-31): possible clone',
  },
];

function scanOf(key: string): string {
  if (/^\d{20}$/.test(key)) return key;
  if (key.length === 16) return `]E0${key.slice(3)}`;
  return `]d2${key}`;
}

/**
 * Writes a demo registry under `dir`: root and release keys (0600), `root.json`, and a signed
 * snapshot `demo-<DEMO_VERSION>.manifest.json` (+ body) whose codes produce every verdict (see `codes`).
 */
export async function createDemoRegistry(
  dir: string,
  options: { scope?: string; now?: Date } = {},
): Promise<DemoRegistry> {
  mkdirSync(dir, { recursive: true });
  const now = options.now ?? new Date();
  const scope = options.scope ?? 'demo';
  const rootFile = join(dir, 'root.json');
  let releaseKey: SigningKey;
  let root: RootMetadata;
  if (existsSync(rootFile) && existsSync(join(dir, 'release.key'))) {
    // Same directory, same keys: a restarted demo keeps trusting what it pinned before.
    releaseKey = readSigningKey(join(dir, 'release.key'));
    root = parseRoot(readFileSync(rootFile, 'utf8'));
  } else {
    const rootKey = generateSigningKey();
    releaseKey = generateSigningKey();
    writeSigningKey(rootKey, join(dir, 'root.key'), join(dir, 'root.pub.json'));
    writeSigningKey(releaseKey, join(dir, 'release.key'), join(dir, 'release.pub.json'));
    root = createRoot(
      {
        rootKeys: [rootKey],
        releaseKeys: [releaseKey],
        expires: new Date(now.getTime() + 10 * 365 * 86_400_000).toISOString(),
      },
      [rootKey],
    );
    writeFileSync(rootFile, `${JSON.stringify(root, null, 2)}\n`);
  }
  const units: RegistryUnit[] = rows.map((r) => {
    const productKey = r.key.length === 20 ? r.key.slice(0, 7) : r.key.slice(0, 16);
    const u: RegistryUnit = { key: r.key, status: r.status, productKey };
    if (r.batch) u.batchNumber = r.batch;
    if (r.soldAt) u.soldAt = r.soldAt;
    if (r.checks !== undefined) u.upstreamChecks = r.checks;
    return u;
  });
  for (const [i, key] of DEMO_DELIVERY_UNITS.entries())
    units.push({
      key,
      status: 'active',
      productKey: P.coldRelief,
      batchNumber: i === DEMO_DELIVERY_UNITS.length - 1 ? 'B2302R' : 'B2501',
    });
  const files = await buildSnapshot(
    {
      scope,
      version: DEMO_VERSION,
      created: now.toISOString(),
      expires: new Date(now.getTime() + 365 * 86_400_000).toISOString(),
      products,
      batches,
      units,
    },
    [releaseKey],
    join(dir, `demo-${DEMO_VERSION}.manifest.json`),
  );
  const codes: DemoCode[] = [
    ...rows.map(({ key, expect, reason, note }) => ({ key, scan: scanOf(key), expect, reason, note })),
    ...extra.map((e) => ({ ...e, scan: e.scan ?? scanOf(e.key) })),
  ];
  writeFileSync(join(dir, 'demo-codes.json'), `${JSON.stringify(codes, null, 2)}\n`);
  return { dir, scope, rootFile, manifestFile: files.manifestFile, root, codes };
}

/** Demo registry imported into `dbFile` (pinning its root): what `npm start` needs. */
export async function openDemoRegistry(
  dir: string,
  dbFile: string,
): Promise<{ store: RegistryStore; demo: DemoRegistry }> {
  const demo = await createDemoRegistry(dir);
  const store = RegistryStore.open(dbFile);
  const result = await importRelease(store, demo.manifestFile, { pinnedRoot: demo.root, scope: demo.scope });
  // A restarted demo whose registry moved on (sync applied deltas) keeps the newer one.
  if (!result.ok && result.code !== 'rollback') {
    store.close();
    throw new Error(`demo registry import failed: ${result.code}: ${result.message}`);
  }
  return { store, demo };
}
