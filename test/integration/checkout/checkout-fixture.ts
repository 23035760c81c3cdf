import { join } from 'node:path';
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import { CheckoutService } from '../../../terminal/lanes/checkout.js';
import { checkoutReceiving } from '../../../terminal/lanes/checkout-services.js';
import type { CheckoutConfig, ReceiptSink } from '../../../terminal/lanes/checkout-types.js';
import { ReturnsService } from '../../../terminal/lanes/returns.js';
import { Ledger } from '../../../terminal/ledger/index.js';
import type { ReceivingMode } from '../../../terminal/receiving/options.js';
import { ReceivedUnits } from '../../../terminal/receiving/unit-receipt.js';
import type {
  RegistryBatch,
  RegistryProduct,
  RegistryReader,
  RegistryUnit,
  UnitStatus,
} from '../../../terminal/registry/types.js';
import { MovedOutUnits } from '../../../terminal/stock/moved-out.js';
import { QueryLog, Verifier } from '../../../terminal/verify/index.js';

/**
 * A checkout terminal on real SQLite files with the real verification policy (terminal/verify),
 * over a small generated registry:
 * - product 6901234 (covered): every serial is an active unit, except the special ones below;
 * - product 6905555 (not covered): units are `unverifiable`;
 * - serials 9xxxxxxxx of 6901234 are not in the registry (`unknown`);
 * - `SPECIAL` serials carry a registry status, a recalled batch or an expired batch.
 * Codes are 20-digit supervision codes (7 product + 9 serial + 4 check), read by terminal/codes.
 */
export const COVERED = '6901234';
export const NOT_COVERED = '6905555';
/** A covered, splittable product (拆零): packs of 10 strips; every serial is an active unit. */
export const SPLIT = '6907777';
export const SPLIT_PACK = { packQuantity: 10, unit: 'strip' } as const;

/**
 * Product-only codes (EAN-13 with its AIM prefix, no serial): `PRODUCT_ONLY` is a covered GS1
 * product (verdict unverifiable/no_serial), `UNREGISTERED_EAN` a product the registry does not know
 * (unverifiable/product_not_in_registry). Both are sellable only on a supervisor's approval.
 */
export const PRODUCT_ONLY = ']E06901234567892';
export const PRODUCT_ONLY_KEY = '0106901234567892';
export const UNREGISTERED_EAN = ']E04006381333931';

/** GTIN of the covered GS1 product whose every serial is a registered unit of batch `L1`. */
export const GS1_GTIN = '09506000134352';
export const GS1_BATCH = { number: 'L1', expiryDate: '2030-05-31' } as const;

/**
 * A GS1 DataMatrix element string of a registered unit (batch L1, expiry 2030-05-31): AI 17 as
 * YYMMDD and AI 10 when given (a different value is a mismatch, the classic clone signal).
 */
export function gs1Code(serial: number, attrs: { batch?: string; expiry?: string } = {}): string {
  const expiry = attrs.expiry ? `17${attrs.expiry}` : '';
  const batch = attrs.batch ? `10${attrs.batch}\u001d` : '';
  return `]d201${GS1_GTIN}${expiry}${batch}21${serial}`;
}

/** The canonical key of `gs1Code(serial, …)`. */
export function gs1Key(serial: number): string {
  return `01${GS1_GTIN}21${serial}`;
}

export function code(serial: number, product = COVERED): string {
  return `${product}${String(serial).padStart(9, '0')}0000`;
}

export const SPECIAL: Record<
  string,
  { status?: UnitStatus; batch?: string; soldAt?: { store: string; at: string } }
> = {
  [code(800000001)]: { status: 'recalled' },
  [code(800000002)]: { status: 'stolen' },
  [code(800000003)]: { status: 'destroyed' },
  [code(800000004)]: { batch: 'RECALLED' },
  [code(800000005)]: { batch: 'EXPIRED' },
  [code(800000006)]: { status: 'sold', soldAt: { store: 'store-b', at: '2026-01-02T03:04:05.000Z' } },
  [code(800000007)]: { batch: 'EXPIRES-SOON' },
};

const products: Record<string, RegistryProduct> = {
  [COVERED]: {
    key: COVERED,
    names: { 'zh-CN': '感冒灵颗粒', en: 'Cold relief granules' },
    manufacturer: 'Acme',
    covered: true,
  },
  [NOT_COVERED]: {
    key: NOT_COVERED,
    names: { 'zh-CN': '维生素C', en: 'Vitamin C' },
    manufacturer: 'Acme',
    covered: false,
  },
  [SPLIT]: {
    key: SPLIT,
    names: { 'zh-CN': '阿莫西林胶囊', en: 'Amoxicillin capsules' },
    manufacturer: 'Acme',
    covered: true,
    split: { ...SPLIT_PACK },
  },
  [PRODUCT_ONLY_KEY]: {
    key: PRODUCT_ONLY_KEY,
    names: { 'zh-CN': '矿泉水 550毫升', en: 'Mineral water 550 mL' },
    manufacturer: 'Spring',
    covered: true,
  },
  [`01${GS1_GTIN}`]: {
    key: `01${GS1_GTIN}`,
    names: { 'zh-CN': '婴幼儿配方奶粉', en: 'Infant formula' },
    manufacturer: 'Dairy',
    covered: true,
  },
};

/** The registry, plus a way to change a unit's status after it was sold (a later recall, a theft report). */
export type TestRegistry = RegistryReader & { setStatus(key: string, status: UnitStatus): void };

export function makeRegistry(clock: () => Date = () => new Date()): TestRegistry {
  const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const allBatches: Record<string, RegistryBatch> = {
    RECALLED: { productKey: COVERED, number: 'RECALLED', recalled: true, recallReason: 'contamination' },
    EXPIRED: { productKey: COVERED, number: 'EXPIRED', recalled: false, expiryDate: '2020-01-31' },
    'EXPIRES-SOON': { productKey: COVERED, number: 'EXPIRES-SOON', recalled: false, expiryDate: soon },
  };
  const statuses = new Map<string, UnitStatus>();
  const gs1Batch: RegistryBatch = { productKey: `01${GS1_GTIN}`, recalled: false, ...GS1_BATCH };
  return {
    setStatus: (key, status) => statuses.set(key, status),
    lookup(key) {
      if (key.startsWith(`01${GS1_GTIN}21`)) {
        const unit: RegistryUnit = {
          key,
          status: statuses.get(key) ?? 'active',
          productKey: gs1Batch.productKey,
          batchNumber: gs1Batch.number,
        };
        return { unit, product: products[gs1Batch.productKey], batch: gs1Batch };
      }
      const product = products[key.slice(0, 7)];
      if (product?.key === SPLIT) {
        return { unit: { key, status: statuses.get(key) ?? 'active', productKey: SPLIT }, product };
      }
      if (!product || product.key !== COVERED) return product ? { product } : {};
      if (key[7] === '9') return { product };
      const special = SPECIAL[key];
      const unit: RegistryUnit = {
        key,
        status: statuses.get(key) ?? special?.status ?? 'active',
        productKey: COVERED,
        ...(special?.batch ? { batchNumber: special.batch } : {}),
        ...(special?.soldAt ? { soldAt: special.soldAt } : {}),
      };
      const batch = special?.batch ? allBatches[special.batch] : undefined;
      return { unit, product, ...(batch ? { batch } : {}) };
    },
    lookupProduct: (key) => products[key],
    state: () => ({
      scope: 'test',
      version: 1,
      asOf: new Date(clock().getTime() - 60_000).toISOString(),
      expires: new Date(clock().getTime() + 86_400_000).toISOString(),
      units: 1000,
      contentHash: 'x',
    }),
  };
}

export interface TerminalOptions {
  dir: string;
  storeId?: string;
  terminalId?: string;
  clock?: () => Date;
  config?: CheckoutConfig;
  receipts?: ReceiptSink;
  unverifiablePolicy?: 'block' | 'allow';
  expiredPolicy?: 'block' | 'allow';
  /** A real registry (the checkout bench) instead of the generated one above. */
  registry?: RegistryReader;
  /** `receiving.mode`, wired as the composition root does (verifier lookup + checkout flag). @default 'off' */
  receivingMode?: ReceivingMode;
  /** The store's own stock moves in the verifier, as the composition root wires them (docs/stock.md). @default false */
  stockLookup?: boolean;
}

/** Opens (or reopens) the terminal whose files live in `dir`. */
export function openTerminal(options: TerminalOptions) {
  const identity = loadOrCreateTerminalKey(join(options.dir, 'identity', 'terminal-ed25519.pem'));
  const db = openDatabase(join(options.dir, 'terminal.db'));
  const ledger = new Ledger({
    db,
    identity,
    storeId: options.storeId ?? 'store-a',
    terminalId: options.terminalId ?? 'lane-1',
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // The generated registry (tests change unit statuses on it), unless a real one is given.
  const generated = options.registry ? undefined : makeRegistry(options.clock);
  const registry: RegistryReader = options.registry ?? generated!;
  const mode = options.receivingMode ?? 'off';
  const receivedUnits = mode === 'off' ? undefined : new ReceivedUnits(db);
  const verifier = new Verifier({
    parse: (input) => parseCode(input),
    productKeyOf,
    registry,
    ledger,
    queryLog: new QueryLog(db),
    ...(receivedUnits ? { receiving: receivedUnits } : {}),
    ...(options.stockLookup ? { stock: new MovedOutUnits(db) } : {}),
    config: {
      maxRegistryAgeMs: 3 * 86_400_000,
      expiredPolicy: options.expiredPolicy ?? 'block',
      unverifiablePolicy: options.unverifiablePolicy ?? 'block',
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const deps = {
    ledger,
    verifier,
    receiving: checkoutReceiving(mode, receivedUnits),
    ...(options.receipts ? { receipts: options.receipts } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.config ? { config: options.config } : {}),
  };
  return {
    db,
    identity,
    ledger,
    registry,
    /** A later recall or theft report on the generated registry (not on a real one). */
    setStatus(key: string, status: UnitStatus): void {
      if (!generated) throw new Error('setStatus needs the generated test registry');
      generated.setStatus(key, status);
    },
    verifier,
    checkout: new CheckoutService(deps),
    returns: new ReturnsService(deps),
    close: () => db.close(),
  };
}
