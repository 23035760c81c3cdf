import { join } from 'node:path';
import {
  buildDelta,
  buildSnapshot,
  createRoot,
  type DeltaInput,
  generateSigningKey,
  type RegistryBatch,
  type RegistryProduct,
  type RegistryUnit,
  type RootMetadata,
  type SigningKey,
} from '../../../terminal/registry/index.js';

export const DAY = 86_400_000;
export const future = (days = 30) => new Date(Date.now() + days * DAY).toISOString();

export interface Authority {
  rootKey: SigningKey;
  releaseKey: SigningKey;
  root: RootMetadata;
}

export function makeAuthority(): Authority {
  const rootKey = generateSigningKey();
  const releaseKey = generateSigningKey();
  const root = createRoot({ rootKeys: [rootKey], releaseKeys: [releaseKey], expires: future(365) }, [
    rootKey,
  ]);
  return { rootKey, releaseKey, root };
}

export const products: RegistryProduct[] = [
  {
    key: '6901234',
    names: { 'zh-CN': '感冒灵颗粒', en: 'Cold Relief Granules' },
    manufacturer: '华润三九',
    spec: '10 g × 9',
    covered: true,
  },
  {
    key: '0109506000134352',
    names: { 'zh-CN': '纯牛奶', en: 'Whole Milk' },
    manufacturer: '伊利',
    covered: true,
  },
];

export const batches: RegistryBatch[] = [
  {
    productKey: '6901234',
    number: 'B1',
    productionDate: '2025-01-01',
    expiryDate: '2099-01-01',
    recalled: false,
  },
  { productKey: '0109506000134352', number: 'L\\1\t', recalled: true, recallReason: 'tab\tand\\slash' },
];

/** `n` units: cn20 for even i, gs1 (numeric and alphanumeric serials) for odd i. */
export function makeUnits(n: number, status: RegistryUnit['status'] = 'active'): RegistryUnit[] {
  const units: RegistryUnit[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      units.push({
        key: `6901234${String(i).padStart(9, '0')}1234`,
        status,
        productKey: '6901234',
        batchNumber: 'B1',
      });
    } else {
      const serial = i % 4 === 1 ? String(100000 + i) : `0X${i}`;
      units.push({
        key: `010950600013435221${serial}`,
        status,
        productKey: '0109506000134352',
        batchNumber: 'L\\1\t',
      });
    }
  }
  return units;
}

export async function snapshot(
  dir: string,
  a: Authority,
  version: number,
  units: RegistryUnit[],
  extra: {
    scope?: string;
    expires?: string;
    keys?: SigningKey[];
    roots?: RootMetadata[];
    name?: string;
  } = {},
) {
  return buildSnapshot(
    { scope: extra.scope ?? 'test', version, expires: extra.expires ?? future(), products, batches, units },
    extra.keys ?? [a.releaseKey],
    join(dir, `${extra.name ?? `snap-${version}`}.manifest.json`),
    extra.roots ? { roots: extra.roots } : {},
  );
}

export async function delta(
  dir: string,
  a: Authority,
  input: Omit<DeltaInput, 'scope' | 'expires'> & { scope?: string },
  name: string,
) {
  return buildDelta(
    { scope: 'test', expires: future(), ...input },
    [a.releaseKey],
    join(dir, `${name}.manifest.json`),
  );
}
