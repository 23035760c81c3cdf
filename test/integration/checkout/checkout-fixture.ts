import { join } from 'node:path';
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import { CheckoutService } from '../../../terminal/lanes/checkout.js';
import type { CheckoutConfig, ReceiptSink } from '../../../terminal/lanes/checkout-types.js';
import { ReturnsService } from '../../../terminal/lanes/returns.js';
import { Ledger } from '../../../terminal/ledger/index.js';
import type {
  RegistryBatch,
  RegistryProduct,
  RegistryReader,
  RegistryUnit,
  UnitStatus,
} from '../../../terminal/registry/types.js';
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
  return {
    setStatus: (key, status) => statuses.set(key, status),
    lookup(key) {
      const product = products[key.slice(0, 7)];
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
  /** A real registry (the checkout bench) instead of the generated one above. */
  registry?: RegistryReader;
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
  const verifier = new Verifier({
    parse: (input) => parseCode(input),
    productKeyOf,
    registry,
    ledger,
    queryLog: new QueryLog(db),
    config: {
      maxRegistryAgeMs: 3 * 86_400_000,
      expiredPolicy: 'block',
      unverifiablePolicy: options.unverifiablePolicy ?? 'block',
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const deps = {
    ledger,
    verifier,
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
