/**
 * Small in-test fakes of the contracts the kiosk depends on (RegistryReader, LocalLedgerView),
 * with one code per verdict, read by the real code reader. Used by verify/http unit tests and the kiosk
 * integration tests; e2e and the demo use the real registry and parser.
 */
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import type { ParseResult } from '../../../terminal/codes/types.js';
import type { LocalLedgerView } from '../../../terminal/ledger/types.js';
import { MemoryRegistry } from '../../../terminal/registry/testing/memory-registry.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from '../../../terminal/registry/types.js';

export const SAMPLE = {
  genuine: '69012340000000011234',
  soldUpstream: '69012340000000021234',
  soldHere: '69012340000000031234',
  recalled: '69012340000000041234',
  stolen: '69012340000000051234',
  expired: '69012340000000061234',
  unknown: '69012349999999991234',
  uncovered: '69099990000000011234',
  gtinOnly: '6901234567892',
  malformed: 'hello?',
} as const;

const products: RegistryProduct[] = [
  {
    key: '6901234',
    names: { 'zh-CN': '金龙鱼花生油 5升', en: 'Golden Peanut Oil 5 L' },
    manufacturer: 'Golden Grain Oils Co.',
    covered: true,
  },
  { key: '6909999', names: { 'zh-CN': '散装大米', en: 'Loose rice' }, manufacturer: 'Farm', covered: false },
  {
    key: '0106901234567892',
    names: { 'zh-CN': '矿泉水', en: 'Mineral water' },
    manufacturer: 'Spring',
    covered: true,
  },
];
const batches: RegistryBatch[] = [
  {
    productKey: '6901234',
    number: 'B1',
    productionDate: '2026-01-10',
    expiryDate: '2099-01-09',
    recalled: false,
  },
  { productKey: '6901234', number: 'B2', recalled: true, recallReason: 'contamination' },
  {
    productKey: '6901234',
    number: 'B3',
    productionDate: '2018-01-01',
    expiryDate: '2020-01-01',
    recalled: false,
  },
];
const units: RegistryUnit[] = [
  { key: SAMPLE.genuine, status: 'active', productKey: '6901234', batchNumber: 'B1', upstreamChecks: 3 },
  {
    key: SAMPLE.soldUpstream,
    status: 'sold',
    productKey: '6901234',
    batchNumber: 'B1',
    soldAt: { store: 'S-0042', at: '2026-11-01T09:30:00.000Z' },
  },
  { key: SAMPLE.soldHere, status: 'active', productKey: '6901234', batchNumber: 'B1' },
  { key: SAMPLE.recalled, status: 'active', productKey: '6901234', batchNumber: 'B2' },
  { key: SAMPLE.stolen, status: 'stolen', productKey: '6901234', batchNumber: 'B1' },
  { key: SAMPLE.expired, status: 'active', productKey: '6901234', batchNumber: 'B3' },
];

/** The in-memory registry (terminal/registry/testing) holding one code per verdict, fresh at `now`. */
export class FakeRegistry extends MemoryRegistry {
  constructor(now = new Date()) {
    super({
      products,
      batches,
      units,
      state: {
        scope: 'demo',
        version: 7,
        asOf: new Date(now.getTime() - 60_000).toISOString(),
        expires: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
        units: units.length,
        contentHash: 'f'.repeat(64),
      },
    });
  }
}

export class FakeLedgerView implements LocalLedgerView {
  readonly writeOffs = new Map<string, { at: string; saleId: string; storeId: string; terminalId: string }>([
    [
      SAMPLE.soldHere,
      { at: '2026-11-20T08:00:00.000Z', saleId: 'SALE-1', storeId: 'S-0001', terminalId: 'T-01' },
    ],
  ]);

  writeOffOf(key: string) {
    return this.writeOffs.get(key);
  }
}

/** The real code reader (terminal/codes landed), bound to default options. */
export function parse(input: string): ParseResult {
  return parseCode(input);
}

export { productKeyOf };
