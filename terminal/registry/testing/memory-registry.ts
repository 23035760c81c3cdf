import { isProductKey, productKeysOfUnit } from '../body-format.js';
import type {
  LookupResult,
  RegistryBatch,
  RegistryProduct,
  RegistryReader,
  RegistryState,
  RegistryUnit,
} from '../types.js';

/** What a MemoryRegistry holds: the contents of one release, as authoring takes them. */
export interface MemoryRegistryContents {
  products: readonly RegistryProduct[];
  batches: readonly RegistryBatch[];
  units: readonly RegistryUnit[];
  /** undefined: no registry imported yet (verdicts then say `no_registry`). */
  state?: RegistryState;
}

/**
 * An in-memory `RegistryReader` for tests of what reads the registry (verification, lanes, HTTP):
 * the same answers as the SQLite `RegistryStore` for the same release
 * (test/contracts/registry-reader.contract.test.ts runs both), without signing and importing one.
 * `registryState` may be replaced at any time (e.g. to make the registry stale or absent).
 */
export class MemoryRegistry implements RegistryReader {
  /** The imported release's state; undefined: none imported. Tests may replace it. */
  registryState: RegistryState | undefined;
  readonly #products = new Map<string, RegistryProduct>();
  readonly #units = new Map<string, RegistryUnit>();
  readonly #batches = new Map<string, RegistryBatch>();

  constructor(contents: MemoryRegistryContents) {
    for (const p of contents.products) this.#products.set(p.key, p);
    for (const b of contents.batches) this.#batches.set(`${b.productKey}\n${b.number}`, b);
    for (const u of contents.units) this.#units.set(u.key, u);
    this.registryState = contents.state;
  }

  lookup(key: string): LookupResult {
    const candidates = productKeysOfUnit(key);
    if (candidates.length === 0) {
      const product = isProductKey(key) ? this.#products.get(key) : undefined;
      return product ? { product } : {};
    }
    const unit = this.#units.get(key);
    if (unit) {
      const product = this.#products.get(unit.productKey);
      const batch =
        unit.batchNumber === undefined
          ? undefined
          : this.#batches.get(`${unit.productKey}\n${unit.batchNumber}`);
      return { unit, ...(product ? { product } : {}), ...(batch ? { batch } : {}) };
    }
    // Not registered: the product it would belong to, as the store answers (a covered product
    // without this unit is what makes a code `unknown`).
    for (const productKey of candidates) {
      const product = this.#products.get(productKey);
      if (product) return { product };
    }
    return {};
  }

  lookupProduct(productKey: string): RegistryProduct | undefined {
    return this.#products.get(productKey);
  }

  state(): RegistryState | undefined {
    return this.registryState;
  }

  reading<T>(fn: () => T): T {
    return fn();
  }
}
