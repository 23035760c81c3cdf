/**
 * The store-day registry: two covered products (a cn20 drug and a GS1 infant formula whose EAN is
 * also on the pack), batches in date, a batch recalled from the start, an expired batch, two
 * batches that upstream may recall mid-run, a stolen unit, and the codes a shopper may bring that
 * the registry does not hold (unknown), cannot read (malformed), or that carry no serial (the EAN).
 * Every code names the facts the reference model (model.ts) needs; the verdicts are the model's job.
 */
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildDelta, buildSnapshot } from '../../../terminal/registry/build.js';
import { importRelease } from '../../../terminal/registry/import.js';
import { generateSigningKey, type SigningKey } from '../../../terminal/registry/keys.js';
import { createRoot, type RootMetadata } from '../../../terminal/registry/root.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from '../../../terminal/registry/types.js';
import type { Announcement, ReleaseRef } from '../../../terminal/sync/protocol.js';

export const SCOPE = 'storeday';
const DAY_MS = 86_400_000;
/** Releases and roots stay valid for years: the terminals' clocks move forward during a run. */
const VALID_MS = 5 * 365 * DAY_MS;
const GS = '\u001d';

/** cn20 product resource code (DOMAIN.md: first 7 of the 20 digits). */
export const DRUG = '6901234';
/** GTIN-14 of the formula; its EAN-13 6901234567892 is on every pack too. */
export const FORMULA_GTIN = '06901234567892';
export const FORMULA = `01${FORMULA_GTIN}`;

export interface BatchSpec {
  productKey: string;
  number: string;
  expiryDate: string;
  recalled: boolean;
  /** Upstream may recall it mid-run (registry delta). */
  recallable?: boolean;
  /** Not in the first snapshot: upstream registers it mid-run (new stock, a registry delta). */
  later?: boolean;
}

export const BATCHES: BatchSpec[] = [
  { productKey: DRUG, number: 'A1', expiryDate: '2030-12-31', recalled: false },
  { productKey: DRUG, number: 'A2', expiryDate: '2031-06-30', recalled: false, recallable: true },
  { productKey: DRUG, number: 'AR', expiryDate: '2030-12-31', recalled: true },
  { productKey: DRUG, number: 'A3', expiryDate: '2031-09-30', recalled: false, later: true },
  { productKey: FORMULA, number: 'B1', expiryDate: '2030-12-31', recalled: false },
  { productKey: FORMULA, number: 'B2', expiryDate: '2031-06-30', recalled: false, recallable: true },
  { productKey: FORMULA, number: 'BX', expiryDate: '2024-01-31', recalled: false },
  { productKey: FORMULA, number: 'B3', expiryDate: '2031-09-30', recalled: false, later: true },
];

/** One scannable code and the facts about it. */
export interface CodeSpec {
  /** Short name used in op lists (`a1`, `b6`, `ean` …). */
  name: string;
  /** What the kiosk sweep scans. */
  scan: string;
  /** Other scans of the same code (Digital Link, no attributes, AIM prefix): ops pick among them. */
  alt: string[];
  /** Canonical key (terminal/codes/types.ts); undefined for malformed scans. */
  key?: string;
  /** unit: in the registry; product: EAN only; unknown: well-formed, not registered; malformed. */
  kind: 'unit' | 'product' | 'unknown' | 'malformed';
  batch?: string;
  /** Registry status other than active. */
  status?: 'stolen';
  /** The scan's AI 10 / AI 17 disagree with the registered unit (DESIGN.md: unknown). */
  mismatch?: 'batch_mismatch' | 'expiry_mismatch';
  /** For malformed scans: the parser's error code. */
  parseError?: string;
}

const cnKey = (serial: number) => `${DRUG}${String(serial).padStart(9, '0')}${String(7000 + serial)}`;
const gsKey = (serial: string) => `${FORMULA}21${serial}`;
const yymmdd = (iso: string) => iso.slice(2).replaceAll('-', '');
const expiryOf = (batch: string) => BATCHES.find((b) => b.number === batch)!.expiryDate;

function cnCode(name: string, serial: number, batch?: string, extra: Partial<CodeSpec> = {}): CodeSpec {
  const key = cnKey(serial);
  return {
    name,
    scan: key,
    alt: [`]C0${key}`],
    key,
    kind: batch ? 'unit' : 'unknown',
    ...(batch ? { batch } : {}),
    ...extra,
  };
}

/** A GS1 DataMatrix element string with batch and expiry, as printed on the pack. */
function gsScan(serial: string, batch: string, expiry: string): string {
  return `]d201${FORMULA_GTIN}17${yymmdd(expiry)}10${batch}${GS}21${serial}`;
}

function gsCode(name: string, serial: string, batch: string, registered = true): CodeSpec {
  const expiry = expiryOf(batch);
  return {
    name,
    scan: gsScan(serial, batch, expiry),
    alt: [
      `https://id.gs1.example/01/${FORMULA_GTIN}/10/${batch}/21/${serial}?17=${yymmdd(expiry)}`,
      `]d201${FORMULA_GTIN}21${serial}`,
    ],
    key: gsKey(serial),
    kind: registered ? 'unit' : 'unknown',
    batch,
  };
}

export const CODES: CodeSpec[] = [
  ...[1, 2, 3, 4, 5, 6, 7].map((i) => cnCode(`a${i}`, i, 'A1')),
  cnCode('as', 20, 'A1', { status: 'stolen' }),
  ...[8, 9].map((i) => cnCode(`a${i}`, i, 'A2')),
  cnCode('ar1', 11, 'AR'),
  cnCode('ar2', 12, 'AR'),
  ...[13, 14, 15, 16].map((i) => cnCode(`a${i}`, i, 'A3')),
  ...['1', '2', '3', '4', '5', '6', '7'].map((i) => gsCode(`b${i}`, `100000${i}`, 'B1')),
  {
    ...gsCode('bm1', '1000011', 'B1'),
    scan: gsScan('1000011', 'B9', expiryOf('B1')),
    alt: [`https://id.gs1.example/01/${FORMULA_GTIN}/10/B9/21/1000011?17=${yymmdd(expiryOf('B1'))}`],
    mismatch: 'batch_mismatch',
  },
  {
    ...gsCode('bm2', '1000012', 'B1'),
    scan: gsScan('1000012', 'B1', '2030-11-30'),
    alt: [`https://id.gs1.example/01/${FORMULA_GTIN}/10/B1/21/1000012?17=301130`],
    mismatch: 'expiry_mismatch',
  },
  ...['8', '9'].map((i) => gsCode(`b${i}`, `200000${i}`, 'B2')),
  ...['1', '2', '3', '4'].map((i) => gsCode(`b3${i}`, `400000${i}`, 'B3')),
  gsCode('bx1', '3000001', 'BX'),
  gsCode('bx2', '3000002', 'BX'),
  cnCode('ua1', 901),
  cnCode('ua2', 902),
  gsCode('ub1', '9000001', 'B1', false),
  gsCode('ub2', '9000002', 'B2', false),
  { name: 'ean', scan: ']E06901234567892', alt: ['6901234567892'], key: FORMULA, kind: 'product' },
  { name: 'm19', scan: '6901234000000001123', alt: [], kind: 'malformed', parseError: 'bad_length' },
  {
    name: 'mck',
    scan: `]d20106901234567893${GS}211000001`,
    alt: [],
    kind: 'malformed',
    parseError: 'bad_check_digit',
  },
];

export const CODE_BY_NAME = new Map(CODES.map((c) => [c.name, c]));
export const BATCH = new Map(BATCHES.map((b) => [b.number, b]));

/** A registry delta the chain publishes mid-run. */
export interface RegistryChange {
  kind: 'recall' | 'stock';
  batch: string;
}

function registryBatch(b: BatchSpec, recalled = b.recalled): RegistryBatch {
  return {
    productKey: b.productKey,
    number: b.number,
    expiryDate: b.expiryDate,
    recalled,
    ...(recalled ? { recallReason: 'assay out of specification' } : {}),
  };
}

function registryUnit(c: CodeSpec): RegistryUnit {
  return {
    key: c.key!,
    status: c.status ?? 'active',
    productKey: c.key!.length === 20 ? DRUG : FORMULA,
    batchNumber: c.batch!,
  };
}

/** The signing authority and the signed snapshot, written under `dir`. */
export interface JourneyRegistry {
  root: RootMetadata;
  releaseKey: SigningKey;
  /** Directory `snapshot-1/` (manifest + body), to copy into upstream's release directory. */
  snapshotDir: string;
}

export async function buildJourneyRegistry(dir: string, now = new Date()): Promise<JourneyRegistry> {
  const rootKey = generateSigningKey();
  const releaseKey = generateSigningKey();
  const expires = new Date(now.getTime() + VALID_MS).toISOString();
  const root = createRoot({ rootKeys: [rootKey], releaseKeys: [releaseKey], expires }, [rootKey]);
  const products: RegistryProduct[] = [
    {
      key: DRUG,
      names: { 'zh-CN': '感冒灵颗粒', en: 'Cold Relief Granules' },
      manufacturer: '华润三九',
      covered: true,
    },
    {
      key: FORMULA,
      names: { 'zh-CN': '婴幼儿配方奶粉', en: 'Infant Formula' },
      manufacturer: '伊利',
      covered: true,
    },
  ];
  const batches = BATCHES.filter((b) => !b.later).map((b) => registryBatch(b));
  const units = CODES.filter((c) => c.kind === 'unit' && !BATCH.get(c.batch!)!.later).map((c) =>
    registryUnit(c),
  );
  const snapshotDir = join(dir, 'snapshot-1');
  mkdirSync(snapshotDir, { recursive: true });
  await buildSnapshot(
    { scope: SCOPE, version: 1, created: now.toISOString(), expires, products, batches, units },
    [releaseKey],
    join(snapshotDir, `${SCOPE}-1.manifest.json`),
  );
  return { root, releaseKey, snapshotDir };
}

/** Copies the snapshot into upstream's release directory (`{releasesDir}/{scope}/snapshot-1`). */
export function publishSnapshot(registry: JourneyRegistry, releasesDir: string): void {
  const target = join(releasesDir, SCOPE, 'snapshot-1');
  mkdirSync(target, { recursive: true });
  for (const file of [`${SCOPE}-1.manifest.json`, `${SCOPE}-1.body.z`]) {
    copyFileSync(join(registry.snapshotDir, file), join(target, basename(file)));
  }
}

/**
 * The chain's registry desk: keeps its own copy of the published registry (catching up on every
 * release upstream published, its sold-unit deltas included) and writes a signed delta (a batch
 * recalled, or a new batch with its units registered) as the next version, straight into
 * upstream's release directory. Call only while upstream builds no delta of its own (the
 * store-day harness settles first).
 */
export class RegistryDesk {
  private readonly store: RegistryStore;

  constructor(
    private readonly registry: JourneyRegistry,
    private readonly releasesDir: string,
    workDir: string,
  ) {
    mkdirSync(workDir, { recursive: true });
    this.store = RegistryStore.open(join(workDir, 'desk.registry.db'));
  }

  /** Publishes version current+1 with `change` (after catching up on `published`); returns it. */
  async publish(change: RegistryChange, published: Announcement): Promise<number> {
    await this.catchUp(published);
    const base = this.store.state()!.version;
    const spec = BATCH.get(change.batch)!;
    const temp = join(this.releasesDir, SCOPE, `.desk-${base + 1}.tmp`);
    mkdirSync(temp, { recursive: true });
    const upsert =
      change.kind === 'recall'
        ? {
            batches: [
              { ...registryBatch(spec, true), recallReason: 'contamination found by the manufacturer' },
            ],
          }
        : {
            batches: [registryBatch(spec)],
            units: CODES.filter((c) => c.kind === 'unit' && c.batch === change.batch).map(registryUnit),
          };
    await buildDelta(
      {
        scope: SCOPE,
        base: this.store,
        version: base + 1,
        expires: new Date(Date.now() + VALID_MS).toISOString(),
        upsert,
      },
      [this.registry.releaseKey],
      join(temp, `${SCOPE}-${base + 1}.manifest.json`),
    );
    // Appears whole or not at all, as upstream's own deltas do.
    renameSync(temp, join(this.releasesDir, SCOPE, `delta-${base}-${base + 1}`));
    return base + 1;
  }

  close(): void {
    this.store.close();
  }

  private async catchUp(published: Announcement): Promise<void> {
    const steps: ReleaseRef[] = [];
    let at = this.store.state()?.version;
    if (at === undefined && published.snapshot) {
      steps.push(published.snapshot);
      at = published.snapshot.version;
    }
    for (const delta of published.deltas) {
      if (delta.from !== at) continue;
      steps.push(delta);
      at = delta.version;
    }
    for (const step of steps) {
      const manifest = join(this.releasesDir, SCOPE, step.id, `${SCOPE}-${step.version}.manifest.json`);
      const result = await importRelease(this.store, manifest, {
        pinnedRoot: this.registry.root,
        scope: SCOPE,
      });
      if (!result.ok)
        throw new Error(`recall desk cannot follow ${step.id}: ${result.code}: ${result.message}`);
    }
  }
}
